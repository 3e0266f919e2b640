import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { type Page, pageWindow } from '../common/paging';
import { AlarmsService, type AlarmView } from './alarms.service';
import { AlarmListQueryDto, DailyRateQueryDto, OnlineRateQueryDto, StatusHistoryQueryDto } from './monitoring.dto';
import type { OnlineRate } from './online-rate';
import { type DailyRate, StatusQueries, type StatusHistoryItem, type TerminalStatusView } from './status-queries.service';
import { IdPipe } from '../common/validation';

/** Online rates, terminal status and history, alarms: read by every role inside its scopes; alarms acknowledged by technicians and officers. */
@ApiTags('monitoring')
@ApiBearerAuth()
@Controller('api')
export class MonitoringController {
  constructor(
    private readonly queries: StatusQueries,
    private readonly alarms: AlarmsService,
  ) {}

  @Get('monitoring/online-rate')
  onlineRate(@Query() q: OnlineRateQueryDto, @CurrentUser() user: AuthUser): { area: OnlineRate; children: OnlineRate[] } {
    return this.queries.onlineRate(user, q.areaCode);
  }

  @Get('monitoring/online-rate/daily')
  daily(@Query() q: DailyRateQueryDto, @CurrentUser() user: AuthUser): Promise<{ areaCode: string; items: DailyRate[] }> {
    return this.queries.daily(user, q.areaCode, q.from, q.to);
  }

  @Get('terminals/:id/status')
  status(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<TerminalStatusView> {
    return this.queries.terminalStatus(user, id);
  }

  @Get('terminals/:id/status-history')
  history(@Param('id', IdPipe) id: number, @Query() q: StatusHistoryQueryDto, @CurrentUser() user: AuthUser): Promise<Page<StatusHistoryItem>> {
    return this.queries.history(user, id, { from: q.from, to: q.to, ...pageWindow(q) });
  }

  @Get('alarms')
  list(@Query() q: AlarmListQueryDto, @CurrentUser() user: AuthUser): Promise<Page<AlarmView>> {
    const { limit, offset } = pageWindow(q);
    return this.alarms.list(user, { state: q.state, kind: q.kind, areaCode: q.areaCode }, limit, offset);
  }

  @Get('alarms/:id')
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.get(user, id);
  }

  @Post('alarms/:id/ack')
  @HttpCode(200)
  @Roles('technician', 'officer')
  acknowledge(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.acknowledge(user, id);
  }
}
