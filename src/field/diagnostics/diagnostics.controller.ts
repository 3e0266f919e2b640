import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-docs';
import type { AuthUser } from '../../auth/auth-user';
import { CurrentUser, Roles } from '../../auth/decorators';
import { AmplifierDto, ClockDto, RegisterReadQueryDto, TestToneDto, VolumeDto } from './diagnostics.dto';
import { DiagnosticsService, type DiagnosticOutcome } from './diagnostics.service';
import { IdPipe } from '../../common/validation';

/** Technicians' commands and reads on one terminal (admin always may; viewers and others get 403). */
@ApiTags('diagnostics')
@ApiBearerAuth()
@Roles('technician')
@ApiErrors(401, 403)
@Controller('api')
export class DiagnosticsController {
  constructor(private readonly diagnostics: DiagnosticsService) {}

  @Post('terminals/:id/test-tone')
  @HttpCode(200)
  @ApiOperation({ summary: 'Play a test tone on a terminal' })
  @ApiErrors(400, 404, 409, 502, 504)
  testTone(
    @Param('id', IdPipe) id: number,
    @Body() dto: TestToneDto,
    @CurrentUser() user: AuthUser,
  ): Promise<DiagnosticOutcome> {
    return this.diagnostics.run(id, { kind: 'test-tone', seconds: dto.seconds ?? 5, volume: dto.volume ?? 60 }, user);
  }

  @Post('terminals/:id/volume')
  @HttpCode(200)
  @ApiOperation({ summary: "Set a terminal's volume" })
  @ApiErrors(400, 404, 409, 502, 504)
  volume(
    @Param('id', IdPipe) id: number,
    @Body() dto: VolumeDto,
    @CurrentUser() user: AuthUser,
  ): Promise<DiagnosticOutcome> {
    return this.diagnostics.run(id, { kind: 'volume', volume: dto.volume }, user);
  }

  @Post('terminals/:id/amplifier')
  @HttpCode(200)
  @ApiOperation({ summary: "Switch a terminal's amplifier on or off" })
  @ApiErrors(400, 404, 409, 502, 504)
  amplifier(
    @Param('id', IdPipe) id: number,
    @Body() dto: AmplifierDto,
    @CurrentUser() user: AuthUser,
  ): Promise<DiagnosticOutcome> {
    return this.diagnostics.run(id, { kind: 'amplifier', on: dto.on }, user);
  }

  @Post('terminals/:id/clock')
  @HttpCode(200)
  @ApiOperation({ summary: "Set a terminal's clock" })
  @ApiErrors(400, 404, 409, 502, 504)
  clock(
    @Param('id', IdPipe) id: number,
    @Body() dto: ClockDto,
    @CurrentUser() user: AuthUser,
  ): Promise<DiagnosticOutcome> {
    return this.diagnostics.run(id, { kind: 'clock', at: dto.at ? new Date(dto.at) : null }, user);
  }

  @Post('terminals/:id/reboot')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reboot a terminal' })
  @ApiErrors(400, 404, 409, 502, 504)
  reboot(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<DiagnosticOutcome> {
    return this.diagnostics.run(id, { kind: 'reboot' }, user);
  }

  /** Reads the terminal now (ahead of the sweep): a terminal just repaired shows online at once. */
  @Post('terminals/:id/poll')
  @HttpCode(200)
  @ApiOperation({ summary: 'Read a terminal now, ahead of the sweep and past its backoff' })
  @ApiErrors(400, 404, 502, 504)
  poll(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): ReturnType<DiagnosticsService['poll']> {
    return this.diagnostics.poll(id, user);
  }

  @Get('terminals/:id/registers')
  @ApiOperation({ summary: "Read a terminal's raw holding registers (at most 64)" })
  @ApiErrors(400, 404, 409, 502, 504)
  registers(
    @Param('id', IdPipe) id: number,
    @Query() q: RegisterReadQueryDto,
    @CurrentUser() user: AuthUser,
  ): Promise<{ terminalId: number; address: number; values: number[] }> {
    return this.diagnostics.readRegisters(id, q.address, q.count, user);
  }

  @Get('gateways/:id/bus')
  @ApiOperation({ summary: "A gateway's bus figures: utilisation, queues, errors, backed-off units" })
  @ApiErrors(400, 404)
  bus(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): ReturnType<DiagnosticsService['bus']> {
    return this.diagnostics.bus(id, user);
  }
}
