import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { GatewaysService } from './gateways.service';
import {
  GatewayDto,
  GatewayListQueryDto,
  TerminalDto,
  TerminalListQueryDto,
  UpdateGatewayDto,
  UpdateTerminalDto,
  paging,
} from './registry.dto';
import { GatewayEntity, TerminalEntity } from './registry.entities';
import { RegistryTransferService } from './registry-transfer.service';
import { TerminalsService } from './terminals.service';
import { ExportLimit } from '../common/export-limit';
import { IdPipe } from '../common/validation';

/** `?format=csv|xlsx` turns a list into a download of the whole filtered list. */
function download(res: Response, file: { name: string; type: string; body: Buffer }): StreamableFile {
  res.setHeader('Content-Type', file.type);
  res.setHeader('Content-Disposition', `attachment; filename="${file.name}"`);
  return new StreamableFile(file.body);
}

@ApiTags('terminals')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/terminals')
export class TerminalsController {
  constructor(
    private readonly terminals: TerminalsService,
    private readonly transfer: RegistryTransferService,
  ) {}

  @Get()
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'List terminals in scope (or download them as CSV/XLSX)' })
  @ApiErrors(400, 403)
  async list(
    @Query() q: TerminalListQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ items: TerminalEntity[]; total: number } | StreamableFile> {
    if (q.format) return download(res, await this.transfer.exportTerminals(user, q, q.format));
    return this.terminals.list(user, q, paging(q));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One terminal' })
  @ApiErrors(400, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<TerminalEntity> {
    return this.terminals.get(id, user);
  }

  @Post()
  @Roles('technician')
  @ApiOperation({ summary: 'Register a terminal' })
  @ApiErrors(400, 403, 404)
  create(@Body() dto: TerminalDto, @CurrentUser() user: AuthUser): Promise<TerminalEntity> {
    return this.terminals.create(dto, user);
  }

  @Patch(':id')
  @Roles('technician')
  @ApiOperation({ summary: 'Change a terminal' })
  @ApiErrors(400, 403, 404)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateTerminalDto,
    @CurrentUser() user: AuthUser,
  ): Promise<TerminalEntity> {
    return this.terminals.update(id, dto, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('technician')
  @ApiOperation({ summary: 'Remove a terminal' })
  @ApiErrors(400, 403, 404)
  remove(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<void> {
    return this.terminals.remove(id, user);
  }
}

@ApiTags('gateways')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/gateways')
export class GatewaysController {
  constructor(
    private readonly gateways: GatewaysService,
    private readonly transfer: RegistryTransferService,
  ) {}

  @Get()
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'List gateways in scope (or download them as CSV/XLSX)' })
  @ApiErrors(400, 403)
  async list(
    @Query() q: GatewayListQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ items: GatewayEntity[]; total: number } | StreamableFile> {
    if (q.format) return download(res, await this.transfer.exportGateways(user, q, q.format));
    return this.gateways.list(user, q, paging(q));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One gateway' })
  @ApiErrors(400, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<GatewayEntity> {
    return this.gateways.get(id, user);
  }

  @Post()
  @Roles('technician')
  @ApiOperation({ summary: 'Register a gateway' })
  @ApiErrors(400, 403)
  create(@Body() dto: GatewayDto, @CurrentUser() user: AuthUser): Promise<GatewayEntity> {
    return this.gateways.create(dto, user);
  }

  @Patch(':id')
  @Roles('technician')
  @ApiOperation({ summary: 'Change a gateway (its bus is reopened when its connection changes)' })
  @ApiErrors(400, 403, 404, 409)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateGatewayDto,
    @CurrentUser() user: AuthUser,
  ): Promise<GatewayEntity> {
    return this.gateways.update(id, dto, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('technician')
  @ApiOperation({ summary: 'Remove a gateway without terminals' })
  @ApiErrors(400, 403, 404, 409)
  remove(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<void> {
    return this.gateways.remove(id, user);
  }
}
