import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { CreateRegionDto, TreeQueryDto, UpdateRegionDto } from './regions.dto';
import { RegionNode, RegionView, RegionsService } from './regions.service';

/** The region tree. Admins and technicians write; everyone reads inside their scope. */
@ApiTags('regions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/regions')
export class RegionsController {
  constructor(private readonly regions: RegionsService) {}

  @Get('tree')
  @ApiOperation({ summary: 'The region tree with terminal counts' })
  @ApiErrors(400, 403, 404)
  tree(@Query() q: TreeQueryDto, @CurrentUser() user: AuthUser): Promise<RegionNode[]> {
    return this.regions.tree(user, q.root);
  }

  @Post()
  @Roles('technician')
  @ApiOperation({ summary: 'Add a region' })
  @ApiErrors(400, 403, 409)
  create(@Body() dto: CreateRegionDto, @CurrentUser() user: AuthUser): Promise<RegionView> {
    return this.regions.create(dto, user);
  }

  /** Rename (`name`) and/or move (`code`). */
  @Patch(':code')
  @Roles('technician')
  @ApiOperation({ summary: 'Rename or move a region' })
  @ApiErrors(400, 403, 404, 409)
  update(
    @Param('code') code: string,
    @Body() dto: UpdateRegionDto,
    @CurrentUser() user: AuthUser,
  ): Promise<RegionView> {
    return this.regions.update(code, dto, user);
  }

  @Delete(':code')
  @HttpCode(204)
  @Roles('technician')
  @ApiOperation({ summary: 'Delete a region nothing hangs on' })
  @ApiErrors(403, 404, 409)
  remove(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<void> {
    return this.regions.remove(code, user);
  }
}
