import {
  Body,
  Controller,
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
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { ApiErrors } from '../common/api-docs';
import { ExportLimit } from '../common/export-limit';
import { PageQueryDto, pageWindow, type Page } from '../common/paging';
import { IdPipe } from '../common/validation';
import { CONTENT_TYPES } from '../terminals/tabular';
import { AsRunService, type AsRunReport } from './as-run.service';
import { DayPlanService, type TerminalDay } from './day-plan.service';
import type { Conflict } from './day-view';
import { ProgrammesService } from './programmes.service';
import {
  AsRunExportQueryDto,
  AsRunQueryDto,
  CreateProgrammeDto,
  CreateScheduleDto,
  DayQueryDto,
  RejectScheduleDto,
  ScheduleListQueryDto,
  UpdateProgrammeDto,
  UpdateScheduleDto,
  WeekQueryDto,
  toProgrammeInput,
  toProgrammePatch,
  toRecurrence,
} from './relay.dto';
import type { ProgrammeView, ScheduleView } from './relay-view';
import { SchedulesService, type PublishResult } from './schedules.service';
import { WeekService, type Week } from './week.service';

/** Programmes of the daily relay (日常广播), within the reader's area scope. */
@ApiTags('relay')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/relay/programmes')
export class ProgrammesController {
  constructor(private readonly programmes: ProgrammesService) {}

  @Get()
  @ApiOperation({ summary: "Programmes whose every target lies in the reader's scope, newest first" })
  @ApiErrors(400)
  list(@Query() q: PageQueryDto, @CurrentUser() user: AuthUser): Promise<Page<ProgrammeView>> {
    const { limit, offset } = pageWindow(q);
    return this.programmes.list(user, limit, offset);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One programme' })
  @ApiErrors(400, 403, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<ProgrammeView> {
    return this.programmes.get(id, user);
  }

  @Post()
  @Roles('officer')
  @ApiOperation({ summary: 'Create a programme: source, fallback, volume, priority class, targets' })
  @ApiErrors(400, 403)
  create(@Body() dto: CreateProgrammeDto, @CurrentUser() user: AuthUser): Promise<ProgrammeView> {
    return this.programmes.create(toProgrammeInput(dto), user);
  }

  @Patch(':id')
  @Roles('officer')
  @ApiOperation({ summary: 'Change a programme (what is on air changes only after its schedules are reviewed again)' })
  @ApiErrors(400, 403, 404)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateProgrammeDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ProgrammeView> {
    return this.programmes.update(id, toProgrammePatch(dto), user);
  }
}

/** Schedules of relay programmes: drafts, review (三审), publish and withdraw, conflicts. */
@ApiTags('relay')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/relay/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Get()
  @ApiOperation({ summary: "A programme's schedules" })
  @ApiErrors(400, 403, 404)
  list(@Query() q: ScheduleListQueryDto, @CurrentUser() user: AuthUser): Promise<ScheduleView[]> {
    return this.schedules.listOf(q.programmeId, user);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One schedule with its revision on air and its review history' })
  @ApiErrors(400, 403, 404)
  get(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<ScheduleView> {
    return this.schedules.get(id, user);
  }

  @Post()
  @Roles('officer')
  @ApiOperation({ summary: 'Draft a schedule of a programme' })
  @ApiErrors(400, 403, 404)
  create(@Body() dto: CreateScheduleDto, @CurrentUser() user: AuthUser): Promise<ScheduleView> {
    return this.schedules.create(dto.programmeId, toRecurrence(dto.recurrence), user);
  }

  @Patch(':id')
  @Roles('officer')
  @ApiOperation({
    summary: 'A new revision of a schedule: back to draft; the revision on air plays on until one is reviewed',
  })
  @ApiErrors(400, 403, 404, 409)
  update(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateScheduleDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ScheduleView> {
    return this.schedules.update(id, toRecurrence(dto.recurrence), user);
  }

  @Get(':id/conflicts')
  @ApiOperation({
    summary: 'Published schedules the working revision would overlap on a terminal, and who keeps the air',
  })
  @ApiErrors(400, 403, 404)
  conflicts(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<Conflict[]> {
    return this.schedules.conflicts(id, user);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles('officer')
  @ApiOperation({ summary: 'Submit the working revision for review' })
  @ApiErrors(400, 403, 404, 409)
  submit(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<ScheduleView> {
    return this.schedules.submit(id, user);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ summary: 'Publish the submitted revision (another approver); answers with its conflicts' })
  @ApiErrors(400, 403, 404, 409)
  approve(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<PublishResult> {
    return this.schedules.approve(id, user);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('approver')
  @ApiOperation({ summary: 'Send the submitted revision back to draft with the reason' })
  @ApiErrors(400, 403, 404, 409)
  reject(
    @Param('id', IdPipe) id: number,
    @Body() dto: RejectScheduleDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ScheduleView> {
    return this.schedules.reject(id, dto.reason.trim(), user);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles('officer', 'approver')
  @ApiOperation({ summary: 'Take the schedule off the air' })
  @ApiErrors(400, 403, 404, 409)
  withdraw(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<ScheduleView> {
    return this.schedules.withdraw(id, user);
  }
}

/** What plays where on a day, and what was played (播出记录). */
@ApiTags('relay')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/relay')
export class RelayPlanController {
  constructor(
    private readonly plan: DayPlanService,
    private readonly asRun: AsRunService,
    private readonly weeks: WeekService,
  ) {}

  @Get('week')
  @ApiOperation({
    summary:
      'Seven days of a region: each schedule reaching it, on air and under review apart, and the conflicts resolved there',
  })
  @ApiErrors(400, 403)
  week(@Query() q: WeekQueryDto, @CurrentUser() user: AuthUser): Promise<Week> {
    return this.weeks.week(user, q.from, q.areaCode);
  }

  @Get('day')
  @ApiOperation({ summary: 'The day view: each terminal’s slots from the published schedules, conflicts resolved' })
  @ApiErrors(400, 403)
  day(@Query() q: DayQueryDto, @CurrentUser() user: AuthUser): Promise<{ date: string; terminals: TerminalDay[] }> {
    return this.plan.day(q, user);
  }

  @Get('as-run')
  @ApiOperation({ summary: 'The as-run log of a day and region, with its on-time rate' })
  @ApiErrors(400, 403, 409)
  report(@Query() q: AsRunQueryDto, @CurrentUser() user: AuthUser): Promise<AsRunReport> {
    return this.asRun.report(user, q.date, q.areaCode);
  }

  @Get('as-run/export')
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'The as-run log of a day and region as CSV or XLSX' })
  @ApiErrors(400, 403, 409, 429)
  async export(
    @Query() q: AsRunExportQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const format = q.format ?? 'csv';
    const file = await this.asRun.export(user, q.date, q.areaCode, format);
    res.setHeader('Content-Type', CONTENT_TYPES[format]);
    res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(file.name)}"`);
    return new StreamableFile(file.body);
  }
}
