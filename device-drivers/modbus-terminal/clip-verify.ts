/**
 * What the driver checks after a commit (firmware-protocols/terminal-modbus/PROTOCOL.md §6.4–§6.5) before it calls a
 * clip stored on a unit: the stored-clip directory lists the clip with the first four bytes of its SM3 digest (the
 * digest covers every byte, so size and content are the prepared ones). When it does not, the receive header tells
 * why: state 3, another clip, chunks missing, a lost commit, or state 2 with another chunk count. Version 2 lists the clip stored last first, so
 * one short read finds it; otherwise (version 1, or a clip listed further down) the whole directory is read.
 */
import {
  decodeDirectory,
  directoryReadCount,
  MAP_VERSIONS,
  maxChunksOf,
  REGISTERS,
  type MapVersion,
  type ReceiveRecord,
} from '../../firmware-protocols/terminal-modbus';
import type { TransferFailureKind } from '../terminal-bus';

export type StoredVerdict = { stored: true } | { stored: false; kind: TransferFailureKind; reason: string };

/** A read of `count` holding registers at `address` of the unit being checked. */
export type ReadRegisters = (address: number, count: number, operation: string) => Promise<number[]>;

/** §6.3: why a unit of register map `version` cannot take a clip of `chunks` chunks, or null when it can. */
export function mapVersionRefusal(unit: number, version: number, chunks: number): string | null {
  if (!(MAP_VERSIONS as readonly number[]).includes(version))
    return `unit ${unit} reports register map version ${version}; this driver speaks versions ${MAP_VERSIONS.join(' and ')}`;
  const max = maxChunksOf(version as MapVersion);
  if (chunks > max)
    return `unit ${unit} speaks register map version ${version}, which cannot report chunks past ${max - 1}; clip has ${chunks} chunks`;
  return null;
}

/** The receive header after a commit: null when it says stored with the right chunk count (the directory is next). */
export function headerVerdict(r: ReceiveRecord, clipId: number, chunks: number): StoredVerdict | null {
  if (r.clipId === clipId && r.state === 'stored' && r.chunkCount === chunks) return null;
  if (r.clipId === clipId && r.state === 'digestMismatch')
    return {
      stored: false,
      kind: 'digest-mismatch',
      reason: 'SM3 over the received data differs from the prepared digest at commit (receive state 3)',
    };
  return {
    stored: false,
    kind: 'unexpected-state',
    reason:
      `after commit the receive header reads clip ${r.clipId}, state ${r.state}, ${r.chunkCount} chunks, ` +
      `${r.missingCount} missing; expected clip ${clipId} stored with ${chunks} chunks`,
  };
}

/** §6.5: the directory lists the clip with the first four bytes of `digest`. */
export async function directoryVerdict(read: ReadRegisters, clipId: number, digest: string): Promise<StoredVerdict> {
  const D = REGISTERS.directory;
  const want = digest.slice(0, 8).toLowerCase();
  let dir = decodeDirectory(await read(D.address, D.headerCount + D.entryCount, 'FC03 clip directory'));
  let entry = dir.clips.find((c) => c.clipId === clipId);
  if (entry === undefined && dir.clips.length > 0) {
    dir = decodeDirectory(await read(D.address, directoryReadCount(), 'FC03 clip directory'));
    entry = dir.clips.find((c) => c.clipId === clipId);
  }
  if (entry === undefined)
    return {
      stored: false,
      kind: 'unexpected-state',
      reason: `clip ${clipId} reads stored (state 2) but its directory does not list it`,
    };
  if (entry.digestPrefix !== want)
    return {
      stored: false,
      kind: 'digest-mismatch',
      reason: `the directory lists clip ${clipId} with digest ${entry.digestPrefix}…; the clip's is ${want}…`,
    };
  return { stored: true };
}
