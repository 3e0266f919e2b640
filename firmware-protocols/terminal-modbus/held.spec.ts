/** The held schedule's codec (PROTOCOL.md §9) against vectors/held.json, and its refusals. */
import vec from './vectors/held.json';
import { encodeCommandBody, parseCommandBlock, type CommandRecord } from './command';
import {
  decodeHeldEntry,
  decodeHeldHeader,
  decodeHeldLog,
  encodeHeldAck,
  encodeHeldEntry,
  encodeHeldHeader,
  encodeHeldLog,
  heldDigest,
  heldEntryWrites,
  heldLogReadCount,
  heldTableBytes,
  heldTableId,
  type HeldEntry,
  type HeldLog,
} from './held';
import { bytesToRegisters } from './words';

const regs = (hex: string): number[] => bytesToRegisters(Buffer.from(hex, 'hex'));
const entries = vec.entries.map(({ hex: _hex, ...e }) => e as HeldEntry);

describe('held schedule codec (PROTOCOL.md §9, vectors/held.json)', () => {
  it('encodes and decodes the entries, the table bytes, its digest and table id', () => {
    for (const e of vec.entries) {
      const { hex, ...entry } = e;
      expect(encodeHeldEntry(entry as HeldEntry).toString('hex')).toBe(hex);
      expect(decodeHeldEntry(Buffer.from(hex, 'hex'))).toEqual(entry);
    }
    expect(heldTableBytes(entries).toString('hex')).toBe(vec.tableBytesHex);
    expect(heldDigest(entries)).toBe(vec.digest);
    expect(heldTableId(vec.digest)).toBe(vec.tableId);
  });

  it('lays out the announce, the entry writes, commit, header, log and acknowledgement', () => {
    const announce = vec.announce.record as CommandRecord;
    expect(encodeCommandBody(vec.announce.sequence, announce).toString('hex')).toBe(vec.announce.bodyHex);
    const block = [...regs(vec.announce.bodyHex), ...new Array<number>(37).fill(0)];
    expect(parseCommandBlock(block).command).toEqual(announce);
    expect(
      heldEntryWrites(entries).map(([address, r]) => ({
        address,
        registersHex: Buffer.from(r.flatMap((x) => [x >> 8, x & 0xff])).toString('hex'),
      })),
    ).toEqual(vec.writes);
    expect(encodeHeldHeader(vec.header.record)).toEqual(regs(vec.header.registersHex));
    expect(decodeHeldHeader(regs(vec.header.registersHex))).toEqual(vec.header.record);
    expect(encodeHeldLog(vec.log.record as HeldLog)).toEqual(regs(vec.log.registersHex));
    expect(decodeHeldLog(regs(vec.log.registersHex))).toEqual(vec.log.record);
    expect(heldLogReadCount(vec.log.record.count)).toBe(vec.log.readCount);
    expect(encodeHeldAck(vec.ack.sequence)).toEqual(regs(vec.ack.registersHex));
  });

  it('refuses what §9 does not allow', () => {
    const e = entries[0];
    expect(() => encodeHeldEntry({ ...e, end: e.start })).toThrow(/end/);
    expect(() => encodeHeldEntry({ ...e, priority: 2 })).toThrow(/priority/);
    expect(() => encodeHeldEntry({ ...e, volume: 101 })).toThrow(/volume/);
    const announce = vec.announce.record as Extract<CommandRecord, { code: 'hold-schedule' }>;
    expect(() => encodeCommandBody(1, { ...announce, holdOffSeconds: 1 })).toThrow(/holdOffSeconds/);
    expect(() => encodeCommandBody(1, { ...announce, entryCount: 129 })).toThrow(/entryCount/);
    expect(() => encodeCommandBody(1, { ...announce, validUntil: announce.validFrom })).toThrow(/validUntil/);
    expect(() => heldTableBytes(new Array<HeldEntry>(129).fill(e))).toThrow(/128/);
  });
});
