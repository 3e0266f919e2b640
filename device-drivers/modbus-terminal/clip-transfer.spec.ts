import fc from 'fast-check';
import { sm3 } from 'sm-crypto-v2';
import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import {
  bitmapPageReads,
  CHUNK_BYTES,
  encodeMissingBitmap,
  FIRST_READ_CHUNKS,
  maxChunksOf,
  missingFromBitmap,
  readReceiveRegisters,
  REGISTERS,
  type MapVersion,
} from '../../firmware-protocols/terminal-modbus';
import { InProcessWire, wireTerminals } from '../simulator/terminal/in-process-wire';
import type { SimulatedTerminal } from '../simulator/terminal/simulated-terminal';
import { BusError } from '../terminal-bus';
import { transferClip } from './clip-transfer';

const keys = generateKeyPair();
const signer = new Sm2Signer('202400000019', keys.privateKey);

function clipOf(bytes: number, clipId: number, seed = 1) {
  const data = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return { clipId, codec: 'opus-16k', digest: sm3(data), data };
}

function setUp(
  units: number[],
  version: (u: number) => MapVersion,
  noise = 0,
  seed = 1,
  lossOn: 'all' | 'writes' = 'writes',
) {
  const terminals = wireTerminals({
    units,
    certSerial: signer.certSerial,
    publicKeyHex: signer.publicKey,
    mapVersion: version,
    clipStorageKb: 16384,
  });
  return { terminals, wire: new InProcessWire(terminals, { signer, noise, seed, lossOn }) };
}

/** The clip is on the terminal: stored after its own SM3 over what it received, with the clip's size and digest. */
function holds(t: SimulatedTerminal, clip: ReturnType<typeof clipOf>): boolean {
  const c = t.model.clips.committed(clip.clipId);
  return c !== undefined && c.digest === clip.digest && c.size === clip.data.length;
}

/** Chunk counts around every bitmap boundary (PROTOCOL.md §6.3): the mirror's end and each 125-register page. */
function boundaryChunkCounts(max: number): number[] {
  const out = new Set<number>([1, 15, 16, 17, FIRST_READ_CHUNKS - 1, FIRST_READ_CHUNKS, FIRST_READ_CHUNKS + 1]);
  for (let k = 1; 2048 * k - 1 <= max; k++) for (const d of [-1, 0, 1]) out.add(2048 * k + d);
  for (let page = 0; FIRST_READ_CHUNKS + 2000 * page <= max; page++)
    for (const d of [-1, 0, 1]) out.add(FIRST_READ_CHUNKS + 2000 * page + d);
  return [...out].filter((n) => n >= 1 && n <= max).sort((a, b) => a - b);
}

describe('bitmap pages (PROTOCOL.md §6.3)', () => {
  it.each([1, 2] as MapVersion[])(
    'version %i: paging the bitmap after the first read brings back exactly the missing chunks',
    (version) => {
      const counts = boundaryChunkCounts(maxChunksOf(version));
      fc.assert(
        fc.property(fc.constantFrom(...counts), fc.array(fc.nat(), { maxLength: 40 }), (chunks, picks) => {
          const missing = [...new Set([0, chunks - 1, ...picks.map((p) => p % chunks)])].sort((a, b) => a - b);
          const bitmap = encodeMissingBitmap(missing, chunks);
          const header = [9, 1, chunks, missing.length];
          const first = readReceiveRegisters(
            version,
            REGISTERS.receive.address,
            Math.min(125, 4 + bitmap.length),
            header,
            bitmap,
          );
          expect(first).not.toBeNull();
          const got = missingFromBitmap(first!.slice(4), chunks);
          for (const p of bitmapPageReads(version, chunks)) {
            const regs = readReceiveRegisters(version, p.address, p.count, header, bitmap);
            expect(regs).not.toBeNull();
            got.push(...missingFromBitmap(regs!, chunks, p.first * 16));
          }
          expect(got).toEqual(missing);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('no read crosses into a gap or another block: 0x057D–0x057F and 0x0FFF are gaps in version 2', () => {
    const bitmap = new Array<number>(4096).fill(1);
    const header = [1, 1, 65535, 65535];
    expect(readReceiveRegisters(2, 0x0500, 125, header, bitmap)).toHaveLength(125);
    expect(readReceiveRegisters(2, 0x0500, 126, header, bitmap)).toBeNull();
    expect(readReceiveRegisters(2, 0x057d, 1, header, bitmap)).toBeNull();
    expect(readReceiveRegisters(2, 0x0fff, 2, header, bitmap)).toBeNull();
    expect(readReceiveRegisters(2, 0x1000 + 4095, 1, header, bitmap)).toEqual([1]);
    expect(readReceiveRegisters(2, 0x1000 + 4095, 2, header, bitmap)).toBeNull();
    // version 1: bitmap registers 0x0504–0x057F, nothing at 0x1000
    expect(readReceiveRegisters(1, 0x0504 + 121, 3, header, bitmap)).toEqual([1, 1, 1]);
    expect(readReceiveRegisters(1, 0x0504 + 121, 4, header, bitmap)).toBeNull();
    expect(readReceiveRegisters(1, 0x1000, 1, header, bitmap)).toBeNull();
    expect(() => bitmapPageReads(1, maxChunksOf(1) + 1)).toThrow(/version 1 reports at most 1984 chunks/);
  });
});

describe('clip transfer of any length (PROTOCOL.md §6.6)', () => {
  it('stores clips of every size around the page boundaries on version 2 terminals, over a line losing frames', async () => {
    const counts = boundaryChunkCounts(8200);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...counts),
        fc.integer({ min: 1, max: CHUNK_BYTES }),
        fc.integer({ min: 1, max: 1000 }),
        async (chunks, last, seed) => {
          const clip = clipOf((chunks - 1) * CHUNK_BYTES + last, 100 + (seed % 50), seed);
          const { terminals, wire } = setUp([1, 2, 3], () => 2, 0.01, seed);
          const r = await transferClip(wire, [1, 2, 3], clip, {});
          expect(r.failed).toEqual([]);
          expect(r.stored.sort()).toEqual([1, 2, 3]);
          for (const t of terminals.values()) expect(holds(t, clip)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('with prepareEach prepares each unit on its own: the other units of the bus keep their last accepted sequence', async () => {
    const clip = clipOf(3 * CHUNK_BYTES, 41);
    const { terminals, wire } = setUp([1, 2, 3, 4], () => 2);
    const before = [3, 4].map((u) => terminals.get(u)!.model.lastSequence);
    const r = await transferClip(wire, [1, 2], clip, { prepareEach: true });
    expect(r.stored.sort()).toEqual([1, 2]);
    expect([3, 4].map((u) => terminals.get(u)!.model.lastSequence)).toEqual(before);
    expect([1, 2].map((u) => terminals.get(u)!.model.lastSequence > 0)).toEqual([true, true]);
    // without it, one prepare to the whole bus: every unit took its sequence
    const other = setUp([1, 2, 3, 4], () => 2);
    await transferClip(other.wire, [1, 2], clipOf(3 * CHUNK_BYTES, 42), {});
    expect([3, 4].map((u) => other.terminals.get(u)!.model.lastSequence > 0)).toEqual([true, true]);
  });

  it('version 1 terminals take what their bitmap reaches and are refused, alone and by name, past it', async () => {
    for (const chunks of [
      FIRST_READ_CHUNKS - 1,
      FIRST_READ_CHUNKS,
      FIRST_READ_CHUNKS + 1,
      maxChunksOf(1),
      maxChunksOf(1) + 1,
    ]) {
      const clip = clipOf(chunks * CHUNK_BYTES - 7, 200 + (chunks % 100), chunks);
      const { terminals, wire } = setUp([1, 2, 3], (u) => (u === 2 ? 1 : 2), 0.01, chunks);
      const r = await transferClip(wire, [1, 2, 3], clip, {});
      const v1Takes = chunks <= maxChunksOf(1);
      expect(r.stored.sort()).toEqual(v1Takes ? [1, 2, 3] : [1, 3]);
      expect(holds(terminals.get(2)!, clip)).toBe(v1Takes);
      if (!v1Takes)
        expect(r.failed).toEqual([
          {
            unit: 2,
            kind: 'protocol',
            exceptionCode: null,
            reason: `bus in-process clip ${clip.clipId} transfer: unit 2 speaks register map version 1, which cannot report chunks past 1983; clip has ${chunks} chunks`,
          },
        ]);
      else expect(r.failed).toEqual([]);
    }
  });

  it('a version 1 terminal is paged within 0x0504–0x057F; a version 2 one at 0x1000 + k', async () => {
    const clip = clipOf(1980 * CHUNK_BYTES, 301);
    const v1 = setUp([1], () => 1);
    // its first read shows 1,936 of 1,980 chunks missing: the rest is paged in at 0x0504 + 121 (3 registers)
    const r = await transferClip(v1.wire, [1], clip, {});
    expect(r.stored).toEqual([1]);
    expect(v1.wire.readLog).toContain(`${0x0504 + 121}:3`);
    expect(v1.wire.readLog.some((x) => Number(x.split(':')[0]) >= 0x1000)).toBe(false);

    const v2 = setUp([1], () => 2);
    const long = clipOf(5000 * CHUNK_BYTES, 302);
    const r2 = await transferClip(v2.wire, [1], long, {});
    expect(r2.stored).toEqual([1]);
    expect(v2.wire.readLog).toContain(`${0x1000 + 121}:125`);
  });

  it('refuses a terminal of an unknown map version by name, and stores the clip on the others', async () => {
    for (const version of [0, 3]) {
      const clip = clipOf(2500 * CHUNK_BYTES, 400 + version);
      const { wire, terminals } = setUp([1, 2], () => 2);
      // unit 2 answers version `version` in its identity block (reg 39)
      const t2 = terminals.get(2)!;
      const read = t2.readHolding.bind(t2);
      t2.readHolding = (a, n, now) =>
        a === REGISTERS.identity.address + REGISTERS.identity.mapVersionAt ? [version] : read(a, n, now);
      const r = await transferClip(wire, [1, 2], clip, {});
      expect(r.stored).toEqual([1]);
      expect(r.failed).toEqual([
        expect.objectContaining({
          unit: 2,
          kind: 'protocol',
          reason: expect.stringContaining(
            `unit 2 reports register map version ${version}; this driver speaks versions 1 and 2`,
          ),
        }),
      ]);
    }
  });

  it('a transfer that cannot complete says how many chunks are missing, never "ok" and never "0 chunks"', async () => {
    const clip = clipOf(3000 * CHUNK_BYTES, 501);
    const { wire, terminals } = setUp([1, 2], () => 2);
    // unit 2 silently drops every chunk past 2,500 (a full flash page, say)
    const t2 = terminals.get(2)!;
    const write = t2.writeRegisters.bind(t2);
    t2.writeRegisters = (a, v, now, b) => (a === REGISTERS.chunk.address && v[1] >= 2500 ? null : write(a, v, now, b));
    const r = await transferClip(wire, [1, 2], clip, {});
    expect(r.stored).toEqual([1]);
    expect(r.failed).toEqual([
      expect.objectContaining({
        unit: 2,
        kind: 'incomplete',
        reason: expect.stringMatching(/^500 of 3000 chunks still missing \(from chunk 2500, 2501, 2502, 2503\)/),
      }),
    ]);
  });

  it('a unit whose bitmap reads are lost to noise keeps its place; one that stays silent fails with the read error', async () => {
    const clip = clipOf(2500 * CHUNK_BYTES, 701);
    const { wire } = setUp([1, 2, 3], () => 2);
    const read = wire.read.bind(wire);
    let chunksSent = false;
    let lostFor2 = 0;
    const write = wire.write.bind(wire);
    wire.write = (unit, address, values, op) => {
      if (address === REGISTERS.chunk.address) chunksSent = true;
      return write(unit, address, values, op);
    };
    // after the chunks: unit 2's next four reads are lost (two rounds' read and its retry); unit 3 never answers again
    wire.read = (unit, address, count, op) => {
      if (chunksSent && ((unit === 2 && lostFor2++ < 4) || unit === 3))
        return Promise.reject(new BusError('timeout', wire.id, unit, op, 'no answer (frame lost)'));
      return read(unit, address, count, op);
    };
    const r = await transferClip(wire, [1, 2, 3], clip, {});
    expect(r.stored.sort()).toEqual([1, 2]);
    expect(r.failed).toEqual([
      expect.objectContaining({
        unit: 3,
        kind: 'timeout',
        reason: expect.stringContaining('unit 3 FC03 clip receive'),
      }),
    ]);
  });

  it('checks size and digest after the commit: a terminal whose directory holds another digest is not "stored"', async () => {
    const clip = clipOf(2000 * CHUNK_BYTES, 601);
    const { wire, terminals } = setUp([1, 2], () => 2);
    const t2 = terminals.get(2)!;
    const read = t2.readHolding.bind(t2);
    t2.readHolding = (a, n, now) => {
      const regs = read(a, n, now);
      if (a === REGISTERS.directory.address && Array.isArray(regs)) regs[5] ^= 0xffff;
      return regs;
    };
    const r = await transferClip(wire, [1, 2], clip, {});
    expect(r.stored).toEqual([1]);
    expect(r.failed).toEqual([
      expect.objectContaining({
        unit: 2,
        kind: 'digest-mismatch',
        reason: expect.stringContaining(`the directory lists clip 601 with digest`),
      }),
    ]);
  });
});
