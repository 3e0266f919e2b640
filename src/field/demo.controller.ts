import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import { Roles } from '../auth/decorators';
import { DemoNetwork } from './demo-network';
import { IdPipe } from '../common/validation';

/** Demo only: break and mend the simulated county on purpose (404 when no simulator runs). */
@ApiTags('demo')
@ApiBearerAuth()
@Roles('technician')
@ApiErrors(401, 403)
@Controller('api/demo')
export class DemoController {
  constructor(private readonly demo: DemoNetwork) {}

  @Post('terminals/:id/kill')
  @HttpCode(200)
  @ApiOperation({ summary: 'Demo: make a simulated terminal fall silent' })
  @ApiErrors(400, 404)
  killTerminal(@Param('id', IdPipe) id: number): Promise<{ terminalId: number; alive: boolean }> {
    return this.demo.setTerminalAlive(id, false);
  }

  @Post('terminals/:id/revive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Demo: bring a simulated terminal back' })
  @ApiErrors(400, 404)
  reviveTerminal(@Param('id', IdPipe) id: number): Promise<{ terminalId: number; alive: boolean }> {
    return this.demo.setTerminalAlive(id, true);
  }

  @Post('gateways/:id/kill')
  @HttpCode(200)
  @ApiOperation({ summary: 'Demo: take a simulated gateway down' })
  @ApiErrors(400, 404)
  killGateway(@Param('id', IdPipe) id: number): Promise<{ gatewayId: number; alive: boolean }> {
    return this.demo.setGatewayAlive(id, false);
  }

  @Post('gateways/:id/revive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Demo: bring a simulated gateway back' })
  @ApiErrors(400, 404)
  reviveGateway(@Param('id', IdPipe) id: number): Promise<{ gatewayId: number; alive: boolean }> {
    return this.demo.setGatewayAlive(id, true);
  }

  @Get('simulator/counters')
  @ApiOperation({ summary: "Demo: the simulated county's counters (plays, repeated starts, refusals)" })
  @ApiErrors(404)
  counters(): Promise<Record<string, number>> {
    return this.demo.counters();
  }
}
