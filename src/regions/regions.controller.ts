import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { CreateRegionDto, TreeQueryDto, UpdateRegionDto } from './regions.dto';
import { RegionNode, RegionView, RegionsService } from './regions.service';

/** The region tree. Admins and technicians write; everyone reads inside their scope. */
@ApiTags('regions')
@ApiBearerAuth()
@Controller('api/regions')
export class RegionsController {
  constructor(private readonly regions: RegionsService) {}

  @Get('tree')
  tree(@Query() q: TreeQueryDto, @CurrentUser() user: AuthUser): Promise<RegionNode[]> {
    return this.regions.tree(user, q.root);
  }

  @Post()
  @Roles('technician')
  create(@Body() dto: CreateRegionDto, @CurrentUser() user: AuthUser): Promise<RegionView> {
    return this.regions.create(dto, user);
  }

  /** Rename (`name`) and/or move (`code`). */
  @Patch(':code')
  @Roles('technician')
  update(@Param('code') code: string, @Body() dto: UpdateRegionDto, @CurrentUser() user: AuthUser): Promise<RegionView> {
    return this.regions.update(code, dto, user);
  }

  @Delete(':code')
  @HttpCode(204)
  @Roles('technician')
  remove(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<void> {
    return this.regions.remove(code, user);
  }
}
