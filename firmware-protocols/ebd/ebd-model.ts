/**
 * The EBD packet model (firmware-protocols/ebd/PROTOCOL.md): the typed header, payloads and signature that
 * ebd-xml.ts turns into XML text and back; the format error that names the field at fault; times and EBDIDs.
 */
import { shanghaiDate } from '../codes';
import { EBD_RESULT_CODES, EBD_TIME_PATTERN, type BrdStateCode, type EbdResultCode, type EbdType } from './ebd-tables';

export class EbdFormatError extends Error {
  constructor(
    readonly resultCode: EbdResultCode,
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'EbdFormatError';
  }
}

export interface EbdHeader {
  ebdId: string;
  type: EbdType;
  srcEbrId: string;
  /** Where the sender takes reports and responses. */
  srcUrl: string | null;
  destEbrId: string;
  time: Date;
  relatedEbdId: string | null;
}

export interface EbmAuxiliary {
  type: string;
  /** The EBDR_ file in the same tar. */
  fileName: string;
  size: number | null;
  digest: string | null;
}

export interface Ebm {
  ebmId: string;
  /** RelatedInfo: the EBMID this one cancels or replaces. */
  relatedEbmId: string | null;
  msgType: number;
  senderName: string;
  senderCode: string;
  sendTime: Date;
  eventType: string;
  severity: number;
  startTime: Date;
  endTime: Date;
  language: string;
  title: string;
  description: string;
  areaCodes: string[];
  auxiliary: EbmAuxiliary | null;
  /** Dispatch: the resources asked to carry it. */
  dispatchEbrIds: string[];
}

export interface EbdResponse {
  resultCode: EbdResultCode;
  resultDesc: string;
}

export interface EbmStateResponse {
  reportTime: Date;
  ebmId: string;
  brdStateCode: BrdStateCode;
  brdStateDesc: string;
  coverage: { rate: number; played: number; targeted: number; areaCodes: string[] };
}

export interface EbmBrdLogEntry {
  ebmId: string;
  title: string;
  eventType: string;
  severity: number;
  startTime: Date;
  endTime: Date;
  brdStateCode: BrdStateCode;
  coverage: { played: number; targeted: number };
}

export interface TerminalStateEntry {
  ebrId: string;
  name: string;
  areaCode: string;
  /** 1 online, 2 offline, 3 fault. */
  state: number;
}

export type EbdPayload =
  | { type: 'EBM'; ebm: Ebm }
  | { type: 'EBDResponse'; response: EbdResponse }
  | { type: 'EBMStateResponse'; state: EbmStateResponse }
  | { type: 'EBMBrdLog'; log: { from: Date; to: Date; entries: EbmBrdLogEntry[] } }
  | { type: 'OMDRequest'; request: { omdType: string; from: Date | null; to: Date | null } }
  | { type: 'ConnectionCheck'; check: { time: Date } }
  | { type: 'EBRDTState'; terminals: { reportTime: Date; onlineRate: number; entries: TerminalStateEntry[] } };

export interface EbdPacket {
  header: EbdHeader;
  payload: EbdPayload;
}

export interface EbdSignature {
  relatedEbdId: string;
  certSn: string;
  algorithm: string;
  /** 64 bytes r‖s. */
  value: Uint8Array;
}

// ---- times and ids ----

const BEIJING_MS = 8 * 3600_000;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function formatEbdTime(at: Date): string {
  const b = new Date(Math.floor(at.getTime() / 1000) * 1000 + BEIJING_MS).toISOString();
  return `${b.slice(0, 10)} ${b.slice(11, 19)}`;
}

export function parseEbdTime(text: string, field: string): Date {
  const m = EBD_TIME_PATTERN.exec(text);
  if (!m)
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, field, `"${text}" is not a time yyyy-MM-dd HH:mm:ss`);
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  if (Number.isNaN(at.getTime()))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, field, `"${text}" is not a valid time`);
  return at;
}

/** EBDID: "10" + the sender's 23-digit EBRID + the Beijing date yyyyMMdd + an 8-digit sequence. */
export function composeEbdId(ebrId: string, at: Date, sequence: number): string {
  if (!/^\d{23}$/.test(ebrId))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, 'EBRID', `${ebrId} is not a 23-digit resource code`);
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 99_999_999)
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, 'sequence', `${sequence} is not 1–99999999`);
  return `10${ebrId}${shanghaiDate(at)}${String(sequence).padStart(8, '0')}`;
}

export const EBD_ID_PATTERN = /^10\d{23}\d{8}\d{8}$/;
