/** The registry as the field module reads it: enabled gateways and their enabled terminals. All its SQL. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GatewayEntity, TerminalEntity } from '../terminals/registry.entities';

@Injectable()
export class FieldRegistry {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  enabledGateways(): Promise<GatewayEntity[]> {
    return this.dataSource.manager.find(GatewayEntity, { where: { enabled: true }, order: { id: 'ASC' } });
  }

  terminal(id: number): Promise<TerminalEntity | null> {
    return this.dataSource.manager.findOneBy(TerminalEntity, { id });
  }

  gateway(id: number): Promise<GatewayEntity | null> {
    return this.dataSource.manager.findOneBy(GatewayEntity, { id });
  }

  /** Enabled terminals, of one gateway or of all. */
  enabledTerminals(gatewayId?: number): Promise<TerminalEntity[]> {
    return this.dataSource.manager.find(TerminalEntity, {
      where: { enabled: true, ...(gatewayId === undefined ? {} : { gatewayId }) },
      order: { gatewayId: 'ASC', unitId: 'ASC' },
    });
  }
}
