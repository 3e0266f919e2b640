/** The registry as the field module reads it: enabled gateways and their enabled terminals. All its SQL. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';

/** Ids per IN list: well under SQLite's and MySQL's limits on bound parameters. */
const CHUNK = 500;
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

  /** The gateways of these ids (those that exist), by id. */
  async gatewaysById(ids: readonly number[]): Promise<GatewayEntity[]> {
    const out: GatewayEntity[] = [];
    for (let i = 0; i < ids.length; i += CHUNK)
      out.push(...(await this.dataSource.manager.findBy(GatewayEntity, { id: In(ids.slice(i, i + CHUNK)) })));
    return out.sort((a, b) => a.id - b.id);
  }

  /** The enabled terminals of these gateways, by gateway and unit. */
  async enabledTerminalsOf(gatewayIds: readonly number[]): Promise<TerminalEntity[]> {
    const out: TerminalEntity[] = [];
    for (let i = 0; i < gatewayIds.length; i += CHUNK)
      out.push(
        ...(await this.dataSource.manager.find(TerminalEntity, {
          where: { enabled: true, gatewayId: In(gatewayIds.slice(i, i + CHUNK)) },
          order: { gatewayId: 'ASC', unitId: 'ASC' },
        })),
      );
    return out;
  }
}
