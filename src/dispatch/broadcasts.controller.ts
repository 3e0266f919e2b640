import { Controller, Get, Param, Query, Res, StreamableFile, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators';
import { ExportLimit } from '../common/export-limit';
import { PageQueryDto, pageWindow } from '../common/paging';
import { CONTENT_TYPES } from '../terminals/tabular';
import type { DeliveryEntity } from './broadcast.entities';
import { BroadcastReportsService, type BroadcastDetail, type BroadcastView } from './broadcast-reports.service';
import { DeliveryQueryDto, ReportQueryDto } from './broadcasts.dto';

/** Broadcasts and their deliveries (播发报告), scoped to the reader's areas. `:id` is the EBMID or the row id. */
@ApiTags('broadcasts')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/broadcasts')
export class BroadcastsController {
  constructor(private readonly reports: BroadcastReportsService) {}

  @Get()
  @ApiOperation({ summary: 'Broadcasts in scope, newest first' })
  @ApiErrors(400)
  list(@Query() q: PageQueryDto, @CurrentUser() user: AuthUser): Promise<{ items: BroadcastView[]; total: number }> {
    const { limit, offset } = pageWindow(q);
    return this.reports.list(user, limit, offset);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One broadcast: state, counts, coverage by town and village' })
  @ApiErrors(404)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<BroadcastDetail> {
    return this.reports.detail(user, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A broadcast's deliveries: each terminal's outcome and reason" })
  @ApiErrors(400, 404)
  deliveries(
    @Param('id') id: string,
    @Query() q: DeliveryQueryDto,
    @CurrentUser() user: AuthUser,
  ): Promise<{ items: DeliveryEntity[]; total: number }> {
    const { limit, offset } = pageWindow(q);
    return this.reports.deliveries(user, id, q, limit, offset);
  }

  @Get(':id/report')
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'The broadcast report (播发报告) as CSV or XLSX' })
  @ApiErrors(400, 404)
  async report(
    @Param('id') id: string,
    @Query() q: ReportQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const format = q.format ?? 'csv';
    const file = await this.reports.report(user, id, format);
    res.setHeader('Content-Type', CONTENT_TYPES[format]);
    res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(file.name)}"`);
    return new StreamableFile(file.body);
  }
}
