import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { type Page, pageWindow } from '../common/paging';
import { AlarmsService, type AlarmView } from './alarms.service';
import { AlarmListQueryDto, DailyRateQueryDto, OnlineRateQueryDto, StatusHistoryQueryDto } from './monitoring.dto';
import type { OnlineRate } from './online-rate';
import {
  type DailyRate,
  StatusQueries,
  type StatusHistoryItem,
  type TerminalStatusView,
} from './status-queries.service';
import { IdPipe } from '../common/validation';

/** Online rates, terminal status and history, alarms: read by every role inside its scopes; alarms acknowledged by technicians and officers. */
@ApiTags('monitoring')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api')
export class MonitoringController {
  constructor(
    private readonly queries: StatusQueries,
    private readonly alarms: AlarmsService,
  ) {}

  @Get('monitoring/online-rate')
  @ApiOperation({ summary: 'Online rate of a region and its direct children, live' })
  @ApiErrors(400, 403)
  onlineRate(
    @Query() q: OnlineRateQueryDto,
    @CurrentUser() user: AuthUser,
  ): { area: OnlineRate; children: OnlineRate[] } {
    return this.queries.onlineRate(user, q.areaCode);
  }

  @Get('monitoring/online-rate/daily')
  @ApiOperation({ summary: "A region's daily online rates over a date range" })
  @ApiErrors(400, 403)
  daily(
    @Query() q: DailyRateQueryDto,
    @CurrentUser() user: AuthUser,
  ): Promise<{ areaCode: string; items: DailyRate[] }> {
    return this.queries.daily(user, q.areaCode, q.from, q.to);
  }

  @Get('terminals/:id/status')
  @ApiOperation({ summary: "A terminal's live status" })
  @ApiErrors(400, 403, 404)
  status(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<TerminalStatusView> {
    return this.queries.terminalStatus(user, id);
  }

  @Get('terminals/:id/status-history')
  @ApiOperation({ summary: "A terminal's status history, newest first" })
  @ApiErrors(400, 403, 404)
  history(
    @Param('id', IdPipe) id: number,
    @Query() q: StatusHistoryQueryDto,
    @CurrentUser() user: AuthUser,
  ): Promise<Page<StatusHistoryItem>> {
    return this.queries.history(user, id, { from: q.from, to: q.to, ...pageWindow(q) });
  }

  @Get('alarms')
  @ApiOperation({ summary: 'Alarms in scope, filtered by state, kind and area' })
  @ApiErrors(400, 403)
  list(@Query() q: AlarmListQueryDto, @CurrentUser() user: AuthUser): Promise<Page<AlarmView>> {
    const { limit, offset } = pageWindow(q);
    return this.alarms.list(user, { state: q.state, kind: q.kind, areaCode: q.areaCode }, limit, offset);
  }

  @Get('alarms/:id')
  @ApiOperation({ summary: 'One alarm' })
  @ApiErrors(400, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.get(user, id);
  }

  @Post('alarms/:id/ack')
  @HttpCode(200)
  @Roles('technician', 'officer')
  @ApiOperation({ summary: 'Acknowledge an alarm' })
  @ApiErrors(400, 403, 404, 409)
  acknowledge(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.acknowledge(user, id);
  }
}
