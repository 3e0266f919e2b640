/** All SQL of dispatch: broadcasts, deliveries, and the registry facts the engine and the reports need. */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, type SelectQueryBuilder } from 'typeorm';
import { Transactions, managerOf, type Tx } from '../database/transactions';
import { AreaEntity } from '../regions/area.entity';
import { TerminalEntity } from '../terminals/registry.entities';
import { BroadcastEntity, DeliveryEntity } from './broadcast.entities';
import { DispatchRequestEntity, type DispatchRequestKind } from './dispatch-request.entity';
import type { BroadcastState } from './broadcast-lifecycle';
import type { DeliveryState } from './delivery-lifecycle';
import type { DeliveryUpdate, LedgerRow } from './delivery-ledger';
import { Clock } from '../common/clock';
import { fence } from '../cluster/lease-fence';
import { GatewayEntity } from '../terminals/registry.entities';
import { emptyCounts, type StateCounts } from './delivery-lifecycle';

/** Deliveries someone still has to act on (docs/cluster.md, "Dispatch across instances"). */
export const OPEN_DELIVERY_STATES: readonly DeliveryState[] = [
  'pending',
  'transferring',
  'ready',
  'playing',
  'preempted',
];

const CHUNK = 500;

export interface DeliveryFilter {
  /** Area-code prefixes the reader may see (null: everything). */
  prefixes: string[] | null;
  state?: DeliveryState;
  /** Area-code prefix of the requested subtree. */
  area?: string;
}

@Injectable()
export class DispatchRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  async terminals(ids: readonly number[], tx?: Tx): Promise<TerminalEntity[]> {
    const out: TerminalEntity[] = [];
    for (let i = 0; i < ids.length; i += CHUNK)
      out.push(...(await this.em(tx).findBy(TerminalEntity, { id: In(ids.slice(i, i + CHUNK)) })));
    return out;
  }

  /** Every enabled terminal: where it sits and its area (tone provisioning walks them bus by bus). */
  enabledTerminals(): Promise<Pick<TerminalEntity, 'id' | 'gatewayId' | 'areaCode'>[]> {
    return this.em().find(TerminalEntity, {
      select: { id: true, gatewayId: true, areaCode: true },
      where: { enabled: true },
      order: { gatewayId: 'ASC', unitId: 'ASC' },
    });
  }

  /** How many enabled terminals each gateway holds (a bus-wide start reaches them all). */
  async enabledTerminalCounts(gatewayIds: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < gatewayIds.length; i += CHUNK) {
      const rows = await this.em()
        .createQueryBuilder(TerminalEntity, 't')
        .select('t.gatewayId', 'gatewayId')
        .addSelect('COUNT(*)', 'n')
        .where({ gatewayId: In(gatewayIds.slice(i, i + CHUNK)), enabled: true })
        .groupBy('t.gatewayId')
        .getRawMany<{ gatewayId: number | string; n: number | string }>();
      for (const r of rows) out.set(Number(r.gatewayId), Number(r.n));
    }
    return out;
  }

  async insertBroadcast(tx: Tx, b: BroadcastEntity, deliveries: DeliveryEntity[]): Promise<void> {
    await this.em(tx).insert(BroadcastEntity, b);
    for (let i = 0; i < deliveries.length; i += 100)
      await this.em(tx).insert(DeliveryEntity, deliveries.slice(i, i + 100));
  }

  findBroadcast(broadcastId: string): Promise<BroadcastEntity | null> {
    return this.em().findOneBy(BroadcastEntity, { broadcastId });
  }

  findBroadcastById(id: number): Promise<BroadcastEntity | null> {
    return this.em().findOneBy(BroadcastEntity, { id });
  }

  broadcastsInState(states: readonly BroadcastState[]): Promise<BroadcastEntity[]> {
    return this.em().find(BroadcastEntity, { where: { state: In([...states]) }, order: { id: 'ASC' } });
  }

  broadcastsOfAlert(alertId: number): Promise<BroadcastEntity[]> {
    return this.em().find(BroadcastEntity, { where: { alertId }, order: { id: 'ASC' } });
  }

  async ledgerRows(broadcastId: string): Promise<LedgerRow[]> {
    const rows = await this.em().find(DeliveryEntity, { where: { broadcastId }, order: { id: 'ASC' } });
    return rows.map((d) => ({
      id: d.id,
      terminalId: d.terminalId,
      areaCode: d.areaCode,
      gatewayId: d.gatewayId,
      unit: d.unit,
      state: d.state,
      reason: d.reason,
      attempts: d.attempts,
      terminalClipId: d.terminalClipId,
      startSentAt: d.startSentAt,
      startSequence: d.startSequence,
      startFloor: d.startFloor,
      verifiedAt: d.verifiedAt,
      finishedAt: d.finishedAt,
      preemptedBroadcastId: d.preemptedBroadcastId,
      preemptedPriority: d.preemptedPriority,
    }));
  }

  /** Writes a batch of delivery updates (and the broadcast's own change, if any) in one transaction. */
  async write(
    updates: readonly DeliveryUpdate[],
    broadcast?: { broadcastId: string; set: Partial<BroadcastEntity> },
  ): Promise<void> {
    if (updates.length === 0 && !broadcast) return;
    const at = this.clock.date();
    await this.transactions.run(async (tx) => {
      const em = this.em(tx);
      for (const u of updates) {
        for (let i = 0; i < u.ids.length; i += CHUNK)
          await em.update(DeliveryEntity, { id: In(u.ids.slice(i, i + CHUNK)) }, { ...u.set, updatedAt: at });
      }
      if (broadcast) await em.update(BroadcastEntity, { broadcastId: broadcast.broadcastId }, broadcast.set);
    });
  }

  /**
   * A batch of one bus's delivery updates in a transaction fenced by that bus's lease (`key`) at `epoch`: written
   * whole, or refused with StaleLeaseError and nothing of it written (the bus has a newer holder).
   */
  async writeFenced(key: string, epoch: number, updates: readonly DeliveryUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const at = this.clock.date();
    await this.transactions.run(async (tx) => {
      const em = this.em(tx);
      for (const u of updates)
        for (let i = 0; i < u.ids.length; i += CHUNK)
          await em.update(DeliveryEntity, { id: In(u.ids.slice(i, i + CHUNK)) }, { ...u.set, updatedAt: at });
      // the fence last: the lease row is locked from here to the commit only, so its renewal never waits for the rows
      await fence(tx, key, epoch);
    });
  }

  /** How many of the broadcast's deliveries are in each state, as written. */
  async stateCounts(broadcastId: string): Promise<StateCounts> {
    const rows = await this.em()
      .createQueryBuilder(DeliveryEntity, 'd')
      .select('d.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .where('d.broadcastId = :broadcastId', { broadcastId })
      .groupBy('d.state')
      .getRawMany<{ state: DeliveryState; n: number | string }>();
    const counts = emptyCounts();
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  /** Sets the broadcast's columns only while it is in one of `from`; true when this call changed it. */
  async moveBroadcast(
    broadcastId: string,
    from: readonly BroadcastState[],
    set: Partial<BroadcastEntity>,
  ): Promise<boolean> {
    const r = await this.em()
      .createQueryBuilder()
      .update(BroadcastEntity)
      .set(set)
      .where('broadcastId = :broadcastId', { broadcastId })
      .andWhere('state IN (:...from)', { from: [...from] })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  /** Per unfinished broadcast, the gateways that still have open deliveries of it (null: a terminal on no gateway). */
  async openWork(): Promise<{ broadcast: BroadcastEntity; gateways: (number | null)[] }[]> {
    const broadcasts = await this.broadcastsInState(['planned', 'running']);
    if (broadcasts.length === 0) return [];
    const rows = await this.em()
      .createQueryBuilder(DeliveryEntity, 'd')
      .select('d.broadcastId', 'broadcastId')
      .addSelect('d.gatewayId', 'gatewayId')
      .where('d.broadcastId IN (:...ids)', { ids: broadcasts.map((b) => b.broadcastId) })
      .andWhere('d.state IN (:...open)', { open: [...OPEN_DELIVERY_STATES] })
      .groupBy('d.broadcastId')
      .addGroupBy('d.gatewayId')
      .getRawMany<{ broadcastId: string; gatewayId: number | string | null }>();
    const byBroadcast = new Map<string, (number | null)[]>();
    for (const r of rows)
      byBroadcast.set(r.broadcastId, [
        ...(byBroadcast.get(r.broadcastId) ?? []),
        r.gatewayId === null ? null : Number(r.gatewayId),
      ]);
    return broadcasts.map((b) => ({ broadcast: b, gateways: byBroadcast.get(b.broadcastId) ?? [] }));
  }

  /** When a delivery of the broadcast last changed; null when it has none. */
  async lastChange(broadcastId: string): Promise<Date | null> {
    const r = await this.em()
      .createQueryBuilder(DeliveryEntity, 'd')
      .select('MAX(d.updatedAt)', 'at')
      .where('d.broadcastId = :broadcastId', { broadcastId })
      .getRawOne<{ at: Date | string | null }>();
    if (!r?.at) return null;
    return r.at instanceof Date ? r.at : new Date(`${r.at.replace(' ', 'T')}Z`);
  }

  /**
   * The pending deliveries of a broadcast that no bus of the cluster can reach (a terminal on no gateway, or on a
   * gateway not enabled) moved to `state` with `reason`; how many. Conditional, so any instance may run it.
   */
  async settleUnshared(broadcastId: string, state: 'unreachable' | 'cancelled', reason: string): Promise<number> {
    const enabled = this.em()
      .createQueryBuilder(GatewayEntity, 'g')
      .select('g.id')
      .where('g.enabled = :on', { on: true });
    const r = await this.em()
      .createQueryBuilder()
      .update(DeliveryEntity)
      .set({ state, reason: reason.slice(0, 255), updatedAt: this.clock.date() })
      .where('broadcastId = :broadcastId', { broadcastId })
      .andWhere('state IN (:...open)', { open: state === 'cancelled' ? [...OPEN_DELIVERY_STATES] : ['pending'] })
      .andWhere(`(gatewayId IS NULL OR gatewayId NOT IN (${enabled.getQuery()}))`)
      .setParameters(enabled.getParameters())
      .execute();
    return r.affected ?? 0;
  }

  // ---- requests for the holders of other buses (clustered) -------------------------------------------------------

  /** The deliveries of a broadcast not started (unreachable, failed): its terminals and their buses. */
  async notStarted(broadcastId: string): Promise<{ terminalId: number; gatewayId: number | null }[]> {
    const rows = await this.em().find(DeliveryEntity, {
      select: { terminalId: true, gatewayId: true },
      where: { broadcastId, state: In(['unreachable', 'failed']) },
    });
    return rows.map((r) => ({ terminalId: r.terminalId, gatewayId: r.gatewayId }));
  }

  /** The buses on which a start of the broadcast went out to at least one terminal. */
  async startedBuses(broadcastId: string): Promise<number[]> {
    const rows = await this.em()
      .createQueryBuilder(DeliveryEntity, 'd')
      .select('DISTINCT d.gatewayId', 'gatewayId')
      .where('d.broadcastId = :broadcastId', { broadcastId })
      .andWhere('d.startSentAt IS NOT NULL')
      .andWhere('d.gatewayId IS NOT NULL')
      .getRawMany<{ gatewayId: number | string }>();
    return rows.map((r) => Number(r.gatewayId));
  }

  /** Every request waiting for a holder, oldest first (a handful: each is deleted once handled). */
  requests(): Promise<DispatchRequestEntity[]> {
    return this.em().find(DispatchRequestEntity, { order: { id: 'ASC' } });
  }

  requestsOf(broadcastId: string, kind: DispatchRequestKind): Promise<DispatchRequestEntity[]> {
    return this.em().find(DispatchRequestEntity, { where: { broadcastId, kind } });
  }

  async addRequests(rows: Omit<DispatchRequestEntity, 'id'>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK)
      await this.em().insert(DispatchRequestEntity, rows.slice(i, i + CHUNK));
  }

  async deleteRequests(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK)
      await this.em().delete(DispatchRequestEntity, { id: In(ids.slice(i, i + CHUNK)) });
  }

  // ---- reports ---------------------------------------------------------------------------------------------------

  private scoped<T extends object>(
    qb: SelectQueryBuilder<T>,
    alias: string,
    prefixes: string[] | null,
    name = 'sp',
  ): SelectQueryBuilder<T> {
    if (prefixes)
      qb.andWhere(
        `(${prefixes.map((_, i) => `${alias}.areaCode LIKE :${name}${i}`).join(' OR ')})`,
        Object.fromEntries(prefixes.map((p, i) => [`${name}${i}`, `${p}%`])),
      );
    return qb;
  }

  /** Broadcasts with at least one delivery the reader may see, newest first. */
  async pageBroadcasts(
    prefixes: string[] | null,
    limit: number,
    offset: number,
  ): Promise<{ items: BroadcastEntity[]; total: number }> {
    if (prefixes && prefixes.length === 0) return { items: [], total: 0 };
    const qb = this.em().createQueryBuilder(BroadcastEntity, 'b');
    if (prefixes) {
      const sub = this.scoped(
        this.em().createQueryBuilder(DeliveryEntity, 'd').select('1').where('d.broadcastId = b.broadcastId'),
        'd',
        prefixes,
      );
      qb.andWhere(`EXISTS (${sub.getQuery()})`, sub.getParameters());
    }
    qb.orderBy('b.id', 'DESC').take(limit).skip(offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  /** Delivery counts by area code and state, inside the reader's scope. */
  async countsByArea(
    broadcastId: string,
    prefixes: string[] | null,
  ): Promise<{ areaCode: string; state: DeliveryState; n: number }[]> {
    if (prefixes && prefixes.length === 0) return [];
    const qb = this.em()
      .createQueryBuilder(DeliveryEntity, 'd')
      .select('d.areaCode', 'areaCode')
      .addSelect('d.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .where('d.broadcastId = :broadcastId', { broadcastId });
    this.scoped(qb, 'd', prefixes).groupBy('d.areaCode').addGroupBy('d.state');
    const rows = await qb.getRawMany<{ areaCode: string; state: DeliveryState; n: number | string }>();
    return rows.map((r) => ({ areaCode: r.areaCode, state: r.state, n: Number(r.n) }));
  }

  async pageDeliveries(
    broadcastId: string,
    f: DeliveryFilter,
    limit: number | null,
    offset = 0,
  ): Promise<{ items: DeliveryEntity[]; total: number }> {
    if (f.prefixes && f.prefixes.length === 0) return { items: [], total: 0 };
    const qb = this.em().createQueryBuilder(DeliveryEntity, 'd').where('d.broadcastId = :broadcastId', { broadcastId });
    this.scoped(qb, 'd', f.prefixes);
    if (f.area) this.scoped(qb, 'd', [f.area], 'ap');
    if (f.state) qb.andWhere('d.state = :state', { state: f.state });
    qb.orderBy('d.areaCode', 'ASC').addOrderBy('d.terminalId', 'ASC');
    if (limit !== null) qb.take(limit).skip(offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  async areaNames(codes: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < codes.length; i += CHUNK) {
      for (const a of await this.em().findBy(AreaEntity, { code: In(codes.slice(i, i + CHUNK)) }))
        out.set(a.code, a.name);
    }
    return out;
  }
}
