/**
 * Import and export of the registry as CSV or XLSX. An import validates every row first — against the rules
 * (registry-checks), against the other rows and against the database — and writes all rows in one transaction with
 * chunked inserts, or nothing: errors come back as [{row, column, message}].
 */
import { Injectable } from '@nestjs/common';
import { AreaLevel, administrativeArea } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { canReach } from '../auth/scope';
import { FieldMessage, ImportRejectedError, RowMessage } from '../common/errors';
import { Transactions, Tx } from '../database/transactions';
import { AreaEntity } from '../regions/area.entity';
import { RegionsRepository } from '../regions/regions.repository';
import { RegionsService } from '../regions/regions.service';
import { GatewaysRepository, Paging } from './gateways.repository';
import { GatewayListQuery, GatewaysService, toEntity, withDefaults } from './gateways.service';
import {
  GATEWAY_COLUMNS,
  REGION_COLUMNS,
  TERMINAL_COLUMNS,
  boolCell,
  intCell,
  numberCell,
  textCell,
} from './registry-columns';
import { checkGateway, checkTerminal, nextResourceCode } from './registry-checks';
import { GatewayEntity, TerminalEntity } from './registry.entities';
import { RegistryEvents } from './registry-events';
import { TerminalListQuery, TerminalsService } from './terminals.service';
import { TerminalsRepository } from './terminals.repository';
import { CONTENT_TYPES, TableFormat, TableRow, readTable, writeTable } from './tabular';
import { Clock } from '../common/clock';

export interface ExportFile {
  name: string;
  type: string;
  body: Buffer;
}

export interface ImportResult {
  imported: number;
}

const EXPORT_ALL: Paging | null = null;

@Injectable()
export class RegistryTransferService {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
    private readonly regions: RegionsService,
    private readonly regionsRepo: RegionsRepository,
    private readonly gateways: GatewaysService,
    private readonly gatewaysRepo: GatewaysRepository,
    private readonly terminals: TerminalsService,
    private readonly terminalsRepo: TerminalsRepository,
    private readonly clock: Clock,
  ) {}

  async exportRegions(user: AuthUser, root: string | undefined, format: TableFormat): Promise<ExportFile> {
    const rows = await this.regions.listFlat(user, root);
    return {
      name: `regions.${format}`,
      type: CONTENT_TYPES[format],
      body: await writeTable(format, REGION_COLUMNS, rows as unknown as Record<string, unknown>[]),
    };
  }

  async exportGateways(user: AuthUser, query: GatewayListQuery, format: TableFormat): Promise<ExportFile> {
    const { items } = await this.gateways.list(user, query, EXPORT_ALL);
    return {
      name: `gateways.${format}`,
      type: CONTENT_TYPES[format],
      body: await writeTable(format, GATEWAY_COLUMNS, items as unknown as Record<string, unknown>[]),
    };
  }

  async exportTerminals(user: AuthUser, query: TerminalListQuery, format: TableFormat): Promise<ExportFile> {
    const { items } = await this.terminals.list(user, query, EXPORT_ALL);
    const gateways = new Map<number, string>();
    for (const id of new Set(items.map((t) => t.gatewayId)))
      gateways.set(id, (await this.gatewaysRepo.findById(id))?.resourceCode ?? '');
    const rows = items.map((t) => ({ ...t, gatewayResourceCode: gateways.get(t.gatewayId) }));
    return {
      name: `terminals.${format}`,
      type: CONTENT_TYPES[format],
      body: await writeTable(format, TERMINAL_COLUMNS, rows),
    };
  }

  async importRegions(body: Buffer, format: TableFormat, actor: AuthUser): Promise<ImportResult> {
    const table = await readTable(body, format, REGION_COLUMNS, ['code', 'name'], this.clock);
    const order = (r: TableRow) =>
      r.values.code.length * 10 + (r.values.code.endsWith('000000') ? 0 : r.values.code.endsWith('000') ? 1 : 2);
    const sorted = [...table].sort((a, b) => order(a) - order(b));
    return this.transactions.run(async (tx) => {
      const errors: RowMessage[] = [];
      const pending = new Map<string, AreaLevel>();
      const rows: Partial<AreaEntity>[] = [];
      const now = this.clock.date();
      for (const r of sorted) {
        const input = { code: r.values.code, name: r.values.name };
        const { fields, level, parentCode } = await this.regions.checkNew(input, tx, pending);
        if (level && !canReach(actor, parentCode ?? input.code))
          fields.push({ field: 'code', message: `area ${input.code} is outside your area scope` });
        if (fields.length > 0 || !level) {
          errors.push(...fields.map((f) => ({ row: r.row, column: f.field, message: f.message })));
          continue;
        }
        pending.set(input.code, level);
        rows.push({ code: input.code, name: input.name, level, parentCode, createdAt: now, updatedAt: now });
      }
      reject(errors);
      await this.regionsRepo.insertMany(tx, rows);
      await this.audit.record(
        {
          actor,
          action: 'region.import',
          entityType: 'region',
          after: { count: rows.length, codes: rows.slice(0, 50).map((r) => r.code) },
        },
        tx,
      );
      return { imported: rows.length };
    });
  }

  async importGateways(body: Buffer, format: TableFormat, actor: AuthUser): Promise<ImportResult> {
    const table = await readTable(body, format, GATEWAY_COLUMNS, ['name', 'areaCode', 'kind'], this.clock);
    const saved = await this.transactions.run(async (tx) => {
      const errors: RowMessage[] = [];
      const known = await this.knownAreas(
        tx,
        table.map((r) => r.values.areaCode),
      );
      const used = new Map<string, Set<string>>();
      const rows: { row: number; entity: GatewayEntity }[] = [];
      const now = this.clock.date();
      for (const r of table) {
        const v = r.values;
        const fields = withDefaults({
          name: v.name,
          resourceCode: textCell(v.resourceCode),
          areaCode: v.areaCode,
          kind: v.kind,
          host: textCell(v.host),
          port: intCell(v.port),
          serialPath: textCell(v.serialPath),
          baudRate: intCell(v.baudRate) ?? undefined,
          parity: textCell(v.parity) ?? undefined,
          dataBits: intCell(v.dataBits) ?? undefined,
          stopBits: intCell(v.stopBits) ?? undefined,
          requestTimeoutMs: intCell(v.requestTimeoutMs) ?? undefined,
          turnaroundMs: intCell(v.turnaroundMs) ?? undefined,
          broadcastDelayMs: intCell(v.broadcastDelayMs) ?? undefined,
        });
        const out = checkGateway(fields);
        const enabled = boolCell(v.enabled, true);
        if (enabled === null) out.push({ field: 'enabled', message: 'enabled must be true/false, 1/0 or 是/否' });
        if (out.every((f) => f.field !== 'areaCode')) {
          if (!known.has(fields.areaCode))
            out.push({ field: 'areaCode', message: `no region with area code ${fields.areaCode} is registered` });
          else if (!canReach(actor, fields.areaCode))
            out.push({ field: 'areaCode', message: `area ${fields.areaCode} is outside your area scope` });
        }
        if (out.length === 0) {
          const codes = await this.usedCodes(tx, used, fields.areaCode);
          if (fields.resourceCode && codes.has(fields.resourceCode))
            out.push({
              field: 'resourceCode',
              message: `resourceCode ${fields.resourceCode} is already registered (in the database or an earlier row)`,
            });
          else {
            const entity = toEntity(fields, enabled ?? true, now);
            entity.resourceCode =
              fields.resourceCode ?? nextResourceCode(fields.areaCode, 'gateway', (c) => codes.has(c));
            codes.add(entity.resourceCode);
            rows.push({ row: r.row, entity });
          }
        }
        errors.push(...rowErrors(r.row, out));
      }
      reject(errors);
      const inserted = await this.gatewaysRepo.insertMany(
        tx,
        rows.map((r) => r.entity),
      );
      await this.audit.record(
        { actor, action: 'gateway.import', entityType: 'gateway', after: { count: inserted.length } },
        tx,
      );
      return inserted;
    });
    this.events.emit(saved.map((gateway) => ({ kind: 'gateway', change: 'added', gateway })));
    return { imported: saved.length };
  }

  async importTerminals(body: Buffer, format: TableFormat, actor: AuthUser): Promise<ImportResult> {
    const table = await readTable(
      body,
      format,
      TERMINAL_COLUMNS,
      ['name', 'areaCode', 'gatewayResourceCode', 'unitId'],
      this.clock,
    );
    const saved = await this.transactions.run(async (tx) => {
      const errors: RowMessage[] = [];
      const known = await this.knownAreas(
        tx,
        table.map((r) => r.values.areaCode),
      );
      const gateways = new Map(
        (
          await this.gatewaysRepo.findByResourceCodes([...new Set(table.map((r) => r.values.gatewayResourceCode))], tx)
        ).map((g) => [g.resourceCode, g]),
      );
      const units = await this.terminalsRepo.unitsOn([...new Set([...gateways.values()].map((g) => g.id))], tx);
      const used = new Map<string, Set<string>>();
      const rows: TerminalEntity[] = [];
      const now = this.clock.date();
      for (const r of table) {
        const v = r.values;
        const gateway = gateways.get(v.gatewayResourceCode) ?? null;
        const unitId = intCell(v.unitId) ?? NaN;
        const out = checkTerminal(
          { name: v.name, resourceCode: textCell(v.resourceCode), areaCode: v.areaCode, unitId },
          gateway?.areaCode ?? null,
        );
        if (!gateway)
          out.push({
            field: 'gatewayId',
            message: `no gateway with resource code "${v.gatewayResourceCode}" is registered`,
          });
        const extra = optionalTerminalFields(v, out);
        if (out.every((f) => f.field !== 'areaCode')) checkImportArea(known, actor, v.areaCode, out);
        if (gateway && out.every((f) => f.field !== 'unitId')) claimUnit(units, gateway, unitId, out);
        if (out.length === 0 && gateway) {
          const codes = await this.usedCodes(tx, used, v.areaCode);
          const given = textCell(v.resourceCode);
          if (given && codes.has(given))
            out.push({
              field: 'resourceCode',
              message: `resourceCode ${given} is already registered (in the database or an earlier row)`,
            });
          else {
            const resourceCode = given ?? nextResourceCode(v.areaCode, 'terminal', (c) => codes.has(c));
            codes.add(resourceCode);
            rows.push(
              Object.assign(new TerminalEntity(), {
                ...extra,
                name: v.name,
                resourceCode,
                areaCode: v.areaCode,
                gatewayId: gateway.id,
                unitId,
                capabilities: null,
                createdAt: now,
                updatedAt: now,
              }),
            );
          }
        }
        errors.push(...rowErrors(r.row, out));
      }
      reject(errors);
      const inserted = await this.terminalsRepo.insertMany(tx, rows);
      await this.audit.record(
        { actor, action: 'terminal.import', entityType: 'terminal', after: { count: inserted.length } },
        tx,
      );
      return inserted;
    });
    this.events.emit(saved.map((terminal) => ({ kind: 'terminal', change: 'added', terminal })));
    return { imported: saved.length };
  }

  private async knownAreas(tx: Tx, codes: string[]): Promise<Set<string>> {
    const wanted = [...new Set(codes.filter((c) => /^\d{12}(\d{3})?$/.test(c)))];
    const found: string[] = [];
    for (let i = 0; i < wanted.length; i += 500)
      found.push(...(await this.regionsRepo.findByCodes(wanted.slice(i, i + 500), tx)).map((a) => a.code));
    return new Set(found);
  }

  /** Resource codes in use in an area's administrative area, loaded once per area and extended as rows claim codes. */
  private async usedCodes(tx: Tx, cache: Map<string, Set<string>>, areaCode: string): Promise<Set<string>> {
    const admin = administrativeArea(areaCode);
    let set = cache.get(admin);
    if (!set) {
      set = await this.gatewaysRepo.codesInArea(admin, tx);
      cache.set(admin, set);
    }
    return set;
  }
}

/** Field names of the checks → spreadsheet columns. */
function rowErrors(row: number, fields: FieldMessage[]): RowMessage[] {
  return fields.map((f) => ({
    row,
    column: f.field === 'gatewayId' ? 'gatewayResourceCode' : f.field,
    message: f.message,
  }));
}

function reject(errors: RowMessage[]): void {
  if (errors.length > 0) throw new ImportRejectedError(errors.sort((a, b) => a.row - b.row));
}

function optionalTerminalFields(v: Record<string, string>, out: FieldMessage[]): Partial<TerminalEntity> {
  const latitude = numberCell(v.latitude);
  const longitude = numberCell(v.longitude);
  const speakerPowerW = intCell(v.speakerPowerW);
  const enabled = boolCell(v.enabled, true);
  if (latitude !== null && !(latitude >= -90 && latitude <= 90))
    out.push({ field: 'latitude', message: 'latitude must be a number from -90 to 90' });
  if (longitude !== null && !(longitude >= -180 && longitude <= 180))
    out.push({ field: 'longitude', message: 'longitude must be a number from -180 to 180' });
  if (speakerPowerW !== null && !(speakerPowerW >= 0))
    out.push({ field: 'speakerPowerW', message: 'speakerPowerW must be a whole number of watts' });
  if (v.installedOn && !/^\d{4}-\d{2}-\d{2}$/.test(v.installedOn))
    out.push({ field: 'installedOn', message: 'installedOn must be a date yyyy-mm-dd' });
  if (enabled === null) out.push({ field: 'enabled', message: 'enabled must be true/false, 1/0 or 是/否' });
  return {
    model: textCell(v.model),
    serialNumber: textCell(v.serialNumber),
    latitude,
    longitude,
    address: textCell(v.address),
    speakerPowerW,
    installedOn: textCell(v.installedOn),
    enabled: enabled ?? true,
    notes: textCell(v.notes),
  };
}

/** An imported row's area: registered, and inside the importer's scope. */
function checkImportArea(known: Set<string>, actor: AuthUser, areaCode: string, out: FieldMessage[]): void {
  if (!known.has(areaCode))
    out.push({ field: 'areaCode', message: `no region with area code ${areaCode} is registered` });
  else if (!canReach(actor, areaCode))
    out.push({ field: 'areaCode', message: `area ${areaCode} is outside your area scope` });
}

/** Claims a unit id on a gateway for an imported row, unless the database or an earlier row holds it. */
function claimUnit(units: Map<number, Set<number>>, gateway: GatewayEntity, unitId: number, out: FieldMessage[]): void {
  const taken = units.get(gateway.id) ?? new Set<number>();
  if (taken.has(unitId))
    out.push({
      field: 'unitId',
      message: `unit id ${unitId} is already taken on gateway ${gateway.resourceCode} (in the database or an earlier row)`,
    });
  taken.add(unitId);
  units.set(gateway.id, taken);
}
