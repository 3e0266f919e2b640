import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { DemoNetwork } from './demo-network';
import { IdPipe } from '../common/validation';

/** Demo only: break and mend the simulated county on purpose (404 when no simulator runs). */
@ApiTags('demo')
@ApiBearerAuth()
@Roles('technician')
@Controller('api/demo')
export class DemoController {
  constructor(private readonly demo: DemoNetwork) {}

  @Post('terminals/:id/kill')
  @HttpCode(200)
  killTerminal(@Param('id', IdPipe) id: number): Promise<{ terminalId: number; alive: boolean }> {
    return this.demo.setTerminalAlive(id, false);
  }

  @Post('terminals/:id/revive')
  @HttpCode(200)
  reviveTerminal(@Param('id', IdPipe) id: number): Promise<{ terminalId: number; alive: boolean }> {
    return this.demo.setTerminalAlive(id, true);
  }

  @Post('gateways/:id/kill')
  @HttpCode(200)
  killGateway(@Param('id', IdPipe) id: number): Promise<{ gatewayId: number; alive: boolean }> {
    return this.demo.setGatewayAlive(id, false);
  }

  @Post('gateways/:id/revive')
  @HttpCode(200)
  reviveGateway(@Param('id', IdPipe) id: number): Promise<{ gatewayId: number; alive: boolean }> {
    return this.demo.setGatewayAlive(id, true);
  }

  @Get('simulator/counters')
  counters(): Promise<Record<string, number>> {
    return this.demo.counters();
  }
}
