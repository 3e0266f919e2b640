/** The periodic tests' API (docs/self-test.md): a terminal's tests, a test now, the missed-test report, audible plans. */
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
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
import { IdPipe } from '../common/validation';
import { CONTENT_TYPES } from '../terminals/tabular';
import { AudiblePlanDto, HistoryQueryDto, MissedExportQueryDto, MissedQueryDto } from './self-test.dto';
import type { AudibleTestPlanEntity } from './self-test.entities';
import { SelfTestService, type MissedReport, type SelfTestView } from './self-test.service';

@ApiTags('self-test')
@ApiBearerAuth()
@Roles('technician')
@ApiErrors(401, 403)
@Controller('api')
export class SelfTestController {
  constructor(private readonly selfTests: SelfTestService) {}

  @Get('terminals/:id/self-tests')
  @ApiOperation({ summary: "A terminal's latest self-tests and audible tests, newest first, with each check" })
  @ApiErrors(400, 404)
  history(
    @Param('id', IdPipe) id: number,
    @Query() q: HistoryQueryDto,
    @CurrentUser() user: AuthUser,
  ): Promise<SelfTestView[]> {
    return this.selfTests.history(id, user, q.limit ?? 10);
  }

  @Post('terminals/:id/self-test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a silent self-test on a terminal now and wait for its result (up to ~15 s)' })
  @ApiErrors(400, 404, 409)
  run(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<SelfTestView> {
    return this.selfTests.runNow(id, user);
  }

  @Get('self-tests/missed')
  @ApiOperation({ summary: 'Terminals of a region whose nightly self-test was due on a day and did not run or answer' })
  @ApiErrors(400)
  missed(@Query() q: MissedQueryDto, @CurrentUser() user: AuthUser): Promise<MissedReport> {
    return this.selfTests.missed(user, q.date, q.areaCode);
  }

  @Get('self-tests/missed/export')
  @UseInterceptors(ExportLimit)
  @ApiOperation({ summary: 'The missed-test report of a day and region as CSV or XLSX' })
  @ApiErrors(400, 429)
  async export(
    @Query() q: MissedExportQueryDto,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const format = q.format ?? 'csv';
    const file = await this.selfTests.export(user, q.date, q.areaCode, format);
    res.setHeader('Content-Type', CONTENT_TYPES[format]);
    res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(file.name)}"`);
    return new StreamableFile(file.body);
  }

  @Get('self-tests/audible-plans')
  @ApiOperation({ summary: "The counties' monthly audible-test plans within the user's scope" })
  plans(@CurrentUser() user: AuthUser): Promise<AudibleTestPlanEntity[]> {
    return this.selfTests.plans(user);
  }

  @Put('self-tests/audible-plans/:areaCode')
  @Roles('admin')
  @ApiOperation({ summary: "Set a county's monthly audible test (day, time, tone length, volume; off by default)" })
  @ApiErrors(400)
  setPlan(
    @Param('areaCode') areaCode: string,
    @Body() dto: AudiblePlanDto,
    @CurrentUser() user: AuthUser,
  ): Promise<AudibleTestPlanEntity> {
    return this.selfTests.setPlan(user, areaCode, dto);
  }
}
