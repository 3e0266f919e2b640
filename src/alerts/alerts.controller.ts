import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { EVENT_TYPES, MESSAGE_TYPE_KEYS, SEVERITIES, isDrillMessage } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import type { Page } from '../common/paging';
import type { AlertDetailView, AlertView } from './alert-view';
import { AlertListQueryDto, CreateAlertDto, EmergencyAlertDto, RejectAlertDto, UpdateAlertDto, toInput, toListQuery, toPatch } from './alerts.dto';
import { AlertsService } from './alerts.service';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  list(@Query() q: AlertListQueryDto, @CurrentUser() user: AuthUser): Promise<Page<AlertView>> {
    return this.alerts.list(user, toListQuery(q));
  }

  /** The code tables a composer picks from: event types (code, name, the severities each has), severities, message types. */
  @Get('codes')
  codes(): { eventTypes: typeof EVENT_TYPES; severities: typeof SEVERITIES; messageTypes: { key: string; drill: boolean }[] } {
    return { eventTypes: EVENT_TYPES, severities: SEVERITIES, messageTypes: MESSAGE_TYPE_KEYS.map((key) => ({ key, drill: isDrillMessage(key) })) };
  }

  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertDetailView> {
    return this.alerts.get(id, user);
  }

  @Post()
  @Roles('officer')
  create(@Body() dto: CreateAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.create(toInput(dto), user);
  }

  @Post('emergency')
  @Roles('officer')
  emergency(@Body() dto: EmergencyAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.emergency(toInput(dto), dto.reason.trim(), user);
  }

  @Patch(':id')
  @Roles('officer')
  update(@Param('id', ParseIntPipe) id: number, @Body() dto: UpdateAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.update(id, toPatch(dto), user);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('officer')
  submit(@Param('id', ParseIntPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.submit(id, user);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('approver')
  approve(@Param('id', ParseIntPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.approve(id, user);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('approver')
  reject(@Param('id', ParseIntPipe) id: number, @Body() dto: RejectAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.reject(id, dto.reason.trim(), user);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('approver')
  confirm(@Param('id', ParseIntPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.confirm(id, user);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('officer', 'approver')
  cancel(@Param('id', ParseIntPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.cancel(id, user);
  }
}
