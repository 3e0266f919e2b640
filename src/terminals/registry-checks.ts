/**
 * The registry's field checks as pure functions, shared by single writes and bulk imports so there is one
 * implementation. Every code check goes through firmware-protocols/codes; a CodeError becomes {field, message}.
 */
import {
  AreaLevel,
  CodeError,
  RESOURCE_TYPES,
  ResourceKind,
  areaLevel,
  assertResourceCodeInArea,
  generateResourceCode,
  isWithinArea,
} from '../../firmware-protocols/codes';
import { FieldMessage, ValidationFailedError } from '../common/errors';
import { GATEWAY_KINDS, GatewayKind, PARITIES, Parity, isNetworkKind } from './registry.entities';

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

export interface GatewayFields {
  name: string;
  resourceCode?: string | null;
  areaCode: string;
  kind: string;
  host?: string | null;
  port?: number | null;
  serialPath?: string | null;
  baudRate: number;
  parity: string;
  dataBits: number;
  stopBits: number;
  requestTimeoutMs: number;
  turnaroundMs: number;
  broadcastDelayMs: number;
}

export interface TerminalFields {
  name: string;
  resourceCode?: string | null;
  areaCode: string;
  unitId: number;
}

/** Throws the collected field messages as one 400. */
export function throwIfAny(fields: FieldMessage[]): void {
  if (fields.length > 0)
    throw new ValidationFailedError(`invalid ${fields.map((f) => f.field).join(', ')}: ${fields[0].message}`, fields);
}

/** Runs a codes check, turning its CodeError into a field message. */
export function codeCheck<T>(out: FieldMessage[], check: () => T): T | null {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof CodeError)) throw e;
    out.push({ field: e.field, message: e.message });
    return null;
  }
}

function int(out: FieldMessage[], field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    out.push({ field, message: `${field} must be a whole number from ${min} to ${max}; got ${String(value)}` });
  }
}

function text(out: FieldMessage[], field: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    out.push({ field, message: `${field} must be a non-empty text of at most ${max} characters` });
  }
}

/** A well-formed area code of one of `levels`; returns its level or null (reported). */
export function checkAreaCode(
  out: FieldMessage[],
  areaCode: string,
  levels: readonly AreaLevel[],
  what: string,
): AreaLevel | null {
  const level = codeCheck(out, () => areaLevel(areaCode, 'areaCode'));
  if (level === null) return null;
  if (!levels.includes(level)) {
    out.push({
      field: 'areaCode',
      message: `a ${what} belongs to a ${levels.join(' or ')}; ${areaCode} is a ${level}`,
    });
    return null;
  }
  return level;
}

/** A given resource code must be consistent with the area (level and digits) and of the right resource type. */
export function checkResourceCode(out: FieldMessage[], code: string, areaCode: string, kinds: ResourceKind[]): void {
  codeCheck(out, () => {
    const parts = assertResourceCodeInArea(code, areaCode, 'resourceCode');
    const types: string[] = kinds.map((k) => RESOURCE_TYPES[k]);
    if (!types.includes(parts.type)) {
      throw new CodeError(
        'resourceCode',
        `resourceCode ${code} has resource type ${parts.type}; a ${kinds.join(' or ')} is ${types.join(' or ')}`,
      );
    }
  });
}

export function checkGateway(g: GatewayFields): FieldMessage[] {
  const out: FieldMessage[] = [];
  text(out, 'name', g.name, 64);
  const level = checkAreaCode(out, g.areaCode, ['county', 'town', 'village'], 'gateway');
  if (level && g.resourceCode) checkResourceCode(out, g.resourceCode, g.areaCode, ['gateway', 'adapter']);
  if (!GATEWAY_KINDS.includes(g.kind as GatewayKind)) {
    out.push({ field: 'kind', message: `kind must be one of ${GATEWAY_KINDS.join(', ')}; got "${g.kind}"` });
  } else if (isNetworkKind(g.kind as GatewayKind)) {
    text(out, 'host', g.host, 255);
    int(out, 'port', g.port, 1, 65535);
    if (g.serialPath)
      out.push({ field: 'serialPath', message: `a ${g.kind} gateway is reached by host and port, not a serial path` });
  } else {
    text(out, 'serialPath', g.serialPath, 255);
    if (g.host || g.port)
      out.push({
        field: g.host ? 'host' : 'port',
        message: `a ${g.kind} gateway is on a serial port: give serialPath, not host/port`,
      });
  }
  if (!(BAUD_RATES as readonly number[]).includes(g.baudRate)) {
    out.push({
      field: 'baudRate',
      message: `baudRate must be one of ${BAUD_RATES.join(', ')}; got ${String(g.baudRate)}`,
    });
  }
  if (!PARITIES.includes(g.parity as Parity))
    out.push({ field: 'parity', message: `parity must be one of ${PARITIES.join(', ')}; got "${g.parity}"` });
  int(out, 'dataBits', g.dataBits, 7, 8);
  int(out, 'stopBits', g.stopBits, 1, 2);
  int(out, 'requestTimeoutMs', g.requestTimeoutMs, 10, 60_000);
  int(out, 'turnaroundMs', g.turnaroundMs, 0, 10_000);
  int(out, 'broadcastDelayMs', g.broadcastDelayMs, 0, 10_000);
  return out;
}

/** A terminal: in a village or group, at unit id 1–247, on a gateway (when known) whose area contains it. */
export function checkTerminal(t: TerminalFields, gatewayArea: string | null): FieldMessage[] {
  const out: FieldMessage[] = [];
  text(out, 'name', t.name, 64);
  const level = checkAreaCode(out, t.areaCode, ['village', 'group'], 'terminal');
  if (level && t.resourceCode) checkResourceCode(out, t.resourceCode, t.areaCode, ['terminal']);
  int(out, 'unitId', t.unitId, 1, 247);
  if (gatewayArea && level && !isWithinArea(t.areaCode, gatewayArea)) {
    out.push({
      field: 'gatewayId',
      message: `the gateway serves area ${gatewayArea}, which does not contain ${t.areaCode}`,
    });
  }
  return out;
}

/** The first free generated code of a kind in an area (terminals use subtype 04, the outdoor loudspeaker). */
export function nextResourceCode(areaCode: string, kind: ResourceKind, used: (code: string) => boolean): string {
  const subtype = kind === 'terminal' ? '04' : '01';
  for (let i = 0; i < 99 * 99; i++) {
    const code = generateResourceCode(areaCode, kind, i, subtype);
    if (!used(code)) return code;
  }
  throw ValidationFailedError.field('resourceCode', `no free ${kind} resource code is left in area ${areaCode}`);
}
