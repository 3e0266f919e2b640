/** Gateways (one bus each): checked by registry-checks, area-scoped, audited, announced on RegistryEvents after commit. */
import { Injectable } from '@nestjs/common';
import { administrativeArea, areaPrefix } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { ConflictError, FieldMessage, NotFoundError } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import { RegionsRepository } from '../regions/regions.repository';
import { GatewaysRepository, Paging } from './gateways.repository';
import { GatewayFields, checkGateway, nextResourceCode, throwIfAny } from './registry-checks';
import { GatewayEntity, GatewayKind, Parity, isNetworkKind } from './registry.entities';
import { RegistryEvents } from './registry-events';
import { Clock } from '../common/clock';

export interface GatewayInput extends Partial<GatewayFields> {
  enabled?: boolean;
}

export interface GatewayListQuery {
  areaCode?: string;
  kind?: string;
  q?: string;
}

/** Defaults for the bus line and timing when not given: 9,600 baud 8N1, 500 ms timeout. */
export const GATEWAY_DEFAULTS = {
  baudRate: 9600,
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
  requestTimeoutMs: 500,
  turnaroundMs: 10,
  broadcastDelayMs: 50,
} as const;

@Injectable()
export class GatewaysService {
  constructor(
    private readonly repo: GatewaysRepository,
    private readonly regions: RegionsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
    private readonly clock: Clock,
  ) {}

  async get(id: number, user: AuthUser): Promise<GatewayEntity> {
    const gateway = await this.repo.findById(id);
    if (!gateway) throw new NotFoundError('gateway', id);
    assertCanReach(user, gateway.areaCode, 'gateway');
    return gateway;
  }

  list(
    user: AuthUser,
    query: GatewayListQuery,
    paging: Paging | null,
  ): Promise<{ items: GatewayEntity[]; total: number }> {
    const visible = visibleSubtrees(user, query.areaCode);
    return this.repo.page(
      { prefixes: visible === null ? null : visible.map((c) => areaPrefix(c)), kind: query.kind, q: query.q },
      paging,
    );
  }

  /** Checks a full set of fields against the rules and the database; returns the field messages. */
  async check(fields: GatewayFields, tx: Tx, self?: GatewayEntity): Promise<FieldMessage[]> {
    const out = checkGateway(fields);
    if (out.some((f) => f.field === 'areaCode')) return out;
    if (!(await this.regions.findByCode(fields.areaCode, tx)))
      out.push({ field: 'areaCode', message: `no region with area code ${fields.areaCode} is registered` });
    if (
      fields.resourceCode &&
      fields.resourceCode !== self?.resourceCode &&
      out.every((f) => f.field !== 'resourceCode')
    ) {
      const used = await this.repo.codesInArea(administrativeArea(fields.areaCode), tx);
      if (used.has(fields.resourceCode))
        out.push({ field: 'resourceCode', message: `resourceCode ${fields.resourceCode} is already registered` });
    }
    return out;
  }

  async create(input: GatewayInput, actor: AuthUser): Promise<GatewayEntity> {
    if (input.areaCode) assertCanReach(actor, input.areaCode, 'gateway');
    const saved = await this.transactions.run(async (tx) => {
      const fields = withDefaults(input);
      throwIfAny(await this.check(fields, tx));
      const now = this.clock.date();
      const entity = toEntity(fields, input.enabled ?? true, now);
      if (!entity.resourceCode) {
        const used = await this.repo.codesInArea(administrativeArea(fields.areaCode), tx);
        entity.resourceCode = nextResourceCode(fields.areaCode, 'gateway', (c) => used.has(c));
      }
      const saved = await this.repo.save(tx, entity);
      await this.audit.record(
        { actor, action: 'gateway.create', entityType: 'gateway', entityId: saved.id, after: saved },
        tx,
      );
      return saved;
    });
    this.events.emit([{ kind: 'gateway', change: 'added', gateway: saved }]);
    return saved;
  }

  async update(id: number, input: GatewayInput, actor: AuthUser): Promise<GatewayEntity> {
    const saved = await this.transactions.run(async (tx) => {
      const current = await this.repo.findById(id, tx);
      if (!current) throw new NotFoundError('gateway', id);
      assertCanReach(actor, current.areaCode, 'gateway');
      if (input.areaCode) assertCanReach(actor, input.areaCode, 'gateway');
      const before = { ...current };
      const fields: GatewayFields = { ...current, ...stripUndefined(input) };
      if (fields.areaCode !== current.areaCode) {
        const terminalCount = await this.repo.terminalCount(id, tx);
        if (terminalCount > 0)
          throw new ConflictError(
            'gateway_in_use',
            `gateway ${current.name} cannot change area: ${terminalCount} terminal(s) are on its bus`,
            { id, terminals: terminalCount },
          );
        if (!input.resourceCode) fields.resourceCode = null;
      }
      throwIfAny(await this.check(fields, tx, current));
      const entity = Object.assign(current, toEntity(fields, input.enabled ?? current.enabled, this.clock.date()), {
        id,
        createdAt: current.createdAt,
      });
      if (!entity.resourceCode) {
        const used = await this.repo.codesInArea(administrativeArea(fields.areaCode), tx);
        entity.resourceCode = nextResourceCode(fields.areaCode, 'gateway', (c) => used.has(c));
      }
      const saved = await this.repo.save(tx, entity);
      await this.audit.record(
        { actor, action: 'gateway.update', entityType: 'gateway', entityId: id, before, after: saved },
        tx,
      );
      return saved;
    });
    this.events.emit([{ kind: 'gateway', change: 'updated', gateway: saved }]);
    return saved;
  }

  async remove(id: number, actor: AuthUser): Promise<void> {
    await this.transactions.run(async (tx) => {
      const current = await this.repo.findById(id, tx);
      if (!current) throw new NotFoundError('gateway', id);
      assertCanReach(actor, current.areaCode, 'gateway');
      const terminalCount = await this.repo.terminalCount(id, tx);
      if (terminalCount > 0)
        throw new ConflictError(
          'gateway_in_use',
          `gateway ${current.name} cannot be deleted: ${terminalCount} terminal(s) are on its bus`,
          { id, terminals: terminalCount },
        );
      await this.repo.remove(tx, id);
      await this.audit.record(
        { actor, action: 'gateway.delete', entityType: 'gateway', entityId: id, before: current },
        tx,
      );
    });
    this.events.emit([{ kind: 'gateway', change: 'removed', id }]);
  }
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The full field set of a new gateway: line and timing defaults where not given. */
export function withDefaults(input: GatewayInput): GatewayFields {
  return {
    name: input.name ?? '',
    resourceCode: input.resourceCode ?? null,
    areaCode: input.areaCode ?? '',
    kind: input.kind ?? '',
    host: input.host ?? null,
    port: input.port ?? null,
    serialPath: input.serialPath ?? null,
    baudRate: input.baudRate ?? GATEWAY_DEFAULTS.baudRate,
    parity: input.parity ?? GATEWAY_DEFAULTS.parity,
    dataBits: input.dataBits ?? GATEWAY_DEFAULTS.dataBits,
    stopBits: input.stopBits ?? GATEWAY_DEFAULTS.stopBits,
    requestTimeoutMs: input.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs,
    turnaroundMs: input.turnaroundMs ?? GATEWAY_DEFAULTS.turnaroundMs,
    broadcastDelayMs: input.broadcastDelayMs ?? GATEWAY_DEFAULTS.broadcastDelayMs,
  };
}

/** An entity from checked fields (resourceCode '' when it is still to be generated). */
export function toEntity(f: GatewayFields, enabled: boolean, now: Date): GatewayEntity {
  const network = isNetworkKind(f.kind as GatewayKind);
  return Object.assign(new GatewayEntity(), {
    name: f.name.trim(),
    resourceCode: f.resourceCode ?? '',
    areaCode: f.areaCode,
    kind: f.kind as GatewayKind,
    host: network ? (f.host ?? null) : null,
    port: network ? (f.port ?? null) : null,
    serialPath: network ? null : (f.serialPath ?? null),
    baudRate: f.baudRate,
    parity: f.parity as Parity,
    dataBits: f.dataBits,
    stopBits: f.stopBits,
    requestTimeoutMs: f.requestTimeoutMs,
    turnaroundMs: f.turnaroundMs,
    broadcastDelayMs: f.broadcastDelayMs,
    enabled,
    createdAt: now,
    updatedAt: now,
  });
}
