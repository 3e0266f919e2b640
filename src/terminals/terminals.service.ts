/** Terminals: checked by registry-checks, area-scoped, audited, announced on RegistryEvents after commit. */
import { Injectable } from '@nestjs/common';
import { administrativeArea, areaPrefix } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, visibleSubtrees } from '../auth/scope';
import { FieldMessage, NotFoundError } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import { RegionsRepository } from '../regions/regions.repository';
import { GatewaysRepository, Paging } from './gateways.repository';
import { stripUndefined } from './gateways.service';
import { checkTerminal, nextResourceCode, throwIfAny } from './registry-checks';
import { TerminalCapabilities, TerminalEntity } from './registry.entities';
import { RegistryEvents } from './registry-events';
import { TerminalsRepository } from './terminals.repository';
import { Clock } from '../common/clock';

export interface TerminalInput {
  name?: string;
  resourceCode?: string | null;
  areaCode?: string;
  gatewayId?: number;
  unitId?: number;
  model?: string | null;
  serialNumber?: string | null;
  capabilities?: TerminalCapabilities | null;
  latitude?: number | null;
  longitude?: number | null;
  address?: string | null;
  speakerPowerW?: number | null;
  installedOn?: string | null;
  enabled?: boolean;
  notes?: string | null;
}

export interface TerminalListQuery {
  areaCode?: string;
  gatewayId?: number;
  model?: string;
  q?: string;
}

type Full = Required<TerminalInput>;

function blank(): Full {
  return {
    name: '',
    resourceCode: null,
    areaCode: '',
    gatewayId: 0,
    unitId: 0,
    model: null,
    serialNumber: null,
    capabilities: null,
    latitude: null,
    longitude: null,
    address: null,
    speakerPowerW: null,
    installedOn: null,
    enabled: true,
    notes: null,
  };
}

@Injectable()
export class TerminalsService {
  constructor(
    private readonly repo: TerminalsRepository,
    private readonly gateways: GatewaysRepository,
    private readonly regions: RegionsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
    private readonly clock: Clock,
  ) {}

  async get(id: number, user: AuthUser): Promise<TerminalEntity> {
    const t = await this.repo.findById(id);
    if (!t) throw new NotFoundError('terminal', id);
    assertCanReach(user, t.areaCode, 'terminal');
    return t;
  }

  list(
    user: AuthUser,
    query: TerminalListQuery,
    paging: Paging | null,
  ): Promise<{ items: TerminalEntity[]; total: number }> {
    const visible = visibleSubtrees(user, query.areaCode);
    return this.repo.page(
      {
        prefixes: visible === null ? null : visible.map((c) => areaPrefix(c)),
        gatewayId: query.gatewayId,
        model: query.model,
        q: query.q,
      },
      paging,
    );
  }

  /** Every rule of one terminal against the database: area registered, gateway known and covering it, unit free, code free. */
  private async check(f: Full, tx: Tx, self?: TerminalEntity): Promise<FieldMessage[]> {
    const gateway = await this.gateways.findById(f.gatewayId, tx);
    const out = checkTerminal(
      { name: f.name, resourceCode: f.resourceCode, areaCode: f.areaCode, unitId: f.unitId },
      gateway?.areaCode ?? null,
    );
    if (!gateway) out.push({ field: 'gatewayId', message: `gateway ${f.gatewayId} does not exist` });
    if (out.some((m) => m.field === 'areaCode')) return out;
    if (!(await this.regions.findByCode(f.areaCode, tx)))
      out.push({ field: 'areaCode', message: `no region with area code ${f.areaCode} is registered` });
    if (gateway && out.every((m) => m.field !== 'unitId')) {
      const holder = await this.repo.findByUnit(gateway.id, f.unitId, tx);
      if (holder && holder.id !== self?.id)
        out.push({
          field: 'unitId',
          message: `unit id ${f.unitId} is already taken on gateway ${gateway.name} by terminal ${holder.name}`,
        });
    }
    if (f.resourceCode && f.resourceCode !== self?.resourceCode && out.every((m) => m.field !== 'resourceCode')) {
      const used = await this.gateways.codesInArea(administrativeArea(f.areaCode), tx);
      if (used.has(f.resourceCode))
        out.push({ field: 'resourceCode', message: `resourceCode ${f.resourceCode} is already registered` });
    }
    return out;
  }

  private async write(f: Full, tx: Tx, current: TerminalEntity | null): Promise<TerminalEntity> {
    throwIfAny(await this.check(f, tx, current ?? undefined));
    const now = this.clock.date();
    let resourceCode = f.resourceCode;
    if (!resourceCode) {
      const used = await this.gateways.codesInArea(administrativeArea(f.areaCode), tx);
      resourceCode = nextResourceCode(f.areaCode, 'terminal', (c) => used.has(c));
    }
    const entity = Object.assign(current ?? new TerminalEntity(), f, {
      name: f.name.trim(),
      resourceCode,
      updatedAt: now,
      createdAt: current?.createdAt ?? now,
    });
    return this.repo.save(tx, entity);
  }

  async create(input: TerminalInput, actor: AuthUser): Promise<TerminalEntity> {
    if (input.areaCode) assertCanReach(actor, input.areaCode, 'terminal');
    const saved = await this.transactions.run(async (tx) => {
      const t = await this.write({ ...blank(), ...stripUndefined(input) }, tx, null);
      await this.audit.record(
        { actor, action: 'terminal.create', entityType: 'terminal', entityId: t.id, after: t },
        tx,
      );
      return t;
    });
    this.events.emit([{ kind: 'terminal', change: 'added', terminal: saved }]);
    return saved;
  }

  async update(id: number, input: TerminalInput, actor: AuthUser): Promise<TerminalEntity> {
    const saved = await this.transactions.run(async (tx) => {
      const current = await this.repo.findById(id, tx);
      if (!current) throw new NotFoundError('terminal', id);
      assertCanReach(actor, current.areaCode, 'terminal');
      if (input.areaCode) assertCanReach(actor, input.areaCode, 'terminal');
      const before = { ...current };
      const merged: Full = { ...blank(), ...current, ...stripUndefined(input) };
      if (merged.areaCode !== current.areaCode && input.resourceCode === undefined) merged.resourceCode = null;
      const t = await this.write(merged, tx, current);
      await this.audit.record(
        { actor, action: 'terminal.update', entityType: 'terminal', entityId: id, before, after: t },
        tx,
      );
      return t;
    });
    this.events.emit([{ kind: 'terminal', change: 'updated', terminal: saved }]);
    return saved;
  }

  async remove(id: number, actor: AuthUser): Promise<void> {
    await this.transactions.run(async (tx) => {
      const current = await this.repo.findById(id, tx);
      if (!current) throw new NotFoundError('terminal', id);
      assertCanReach(actor, current.areaCode, 'terminal');
      await this.repo.remove(tx, id);
      await this.audit.record(
        { actor, action: 'terminal.delete', entityType: 'terminal', entityId: id, before: current },
        tx,
      );
    });
    this.events.emit([{ kind: 'terminal', change: 'removed', id }]);
  }
}
