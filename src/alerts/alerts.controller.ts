import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_TYPES, MESSAGE_TYPE_KEYS, SEVERITIES, isDrillMessage } from '../../firmware-protocols/codes';
import { ApiErrors } from '../common/api-docs';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import type { Page } from '../common/paging';
import type { AlertDetailView, AlertView } from './alert-view';
import {
  AlertListQueryDto,
  CreateAlertDto,
  EmergencyAlertDto,
  RejectAlertDto,
  UpdateAlertDto,
  toInput,
  toListQuery,
  toPatch,
} from './alerts.dto';
import { AlertsService } from './alerts.service';
import { IdPipe } from '../common/validation';

@ApiTags('alerts')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @ApiOperation({ summary: "Alerts reaching into the reader's scope, filtered" })
  @ApiErrors(400)
  list(@Query() q: AlertListQueryDto, @CurrentUser() user: AuthUser): Promise<Page<AlertView>> {
    return this.alerts.list(user, toListQuery(q));
  }

  /** The code tables a composer picks from: event types (code, name, the severities each has), severities, message types. */
  @Get('codes')
  @ApiOperation({ summary: 'The code tables a composer picks from: event types, severities, message types' })
  codes(): {
    eventTypes: typeof EVENT_TYPES;
    severities: typeof SEVERITIES;
    messageTypes: { key: string; drill: boolean }[];
  } {
    return {
      eventTypes: EVENT_TYPES,
      severities: SEVERITIES,
      messageTypes: MESSAGE_TYPE_KEYS.map((key) => ({ key, drill: isDrillMessage(key) })),
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert with the number of terminals it targets' })
  @ApiErrors(400, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertDetailView> {
    return this.alerts.get(id, user);
  }

  @Post()
  @Roles('officer')
  @ApiOperation({ summary: 'Draft an alert' })
  @ApiErrors(400, 403)
  create(@Body() dto: CreateAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.create(toInput(dto), user);
  }

  @Post('emergency')
  @Roles('officer')
  @ApiOperation({ summary: 'One-key emergency: create and send at once' })
  @ApiErrors(400, 403, 409)
  emergency(@Body() dto: EmergencyAlertDto, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.emergency(toInput(dto), dto.reason.trim(), user);
  }

  @Patch(':id')
  @Roles('officer')
  @ApiOperation({ summary: 'Change a draft or submitted alert' })
  @ApiErrors(400, 403, 404, 409)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateAlertDto,
    @CurrentUser() user: AuthUser,
  ): Promise<AlertView> {
    return this.alerts.update(id, toPatch(dto), user);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('officer')
  @ApiOperation({ summary: 'Submit a draft for review' })
  @ApiErrors(400, 403, 404, 409)
  submit(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.submit(id, user);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ summary: 'Approve an alert (another approver) and put it on air' })
  @ApiErrors(400, 403, 404, 409)
  approve(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.approve(id, user);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ summary: 'Send an alert back to draft with the reason' })
  @ApiErrors(400, 403, 404, 409)
  reject(
    @Param('id', IdPipe) id: number,
    @Body() dto: RejectAlertDto,
    @CurrentUser() user: AuthUser,
  ): Promise<AlertView> {
    return this.alerts.reject(id, dto.reason.trim(), user);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ summary: 'Confirm an emergency sent on the one-key path' })
  @ApiErrors(400, 403, 404, 409)
  confirm(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.confirm(id, user);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('officer', 'approver')
  @ApiOperation({ summary: 'Cancel an alert; on air, stop it everywhere' })
  @ApiErrors(400, 403, 404, 409)
  cancel(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<AlertView> {
    return this.alerts.cancel(id, user);
  }
}
