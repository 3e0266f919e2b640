/**
 * The stored-clip cases of firmware-protocols/terminal-modbus/PROTOCOL.md §6.1–§6.5 and the bitmap layout of §6.3, as
 * vectors/clips.json states them, run against the simulator's terminal at the register level: signed prepares, chunk
 * frames, commits, and reads of the receive header, the bitmap and the directory.
 */
import { sm3 } from 'sm-crypto-v2';
import vectors from '../../../firmware-protocols/terminal-modbus/vectors/clips.json';
import { generateKeyPair, Sm2Signer } from '../../../firmware-protocols/signing';
import {
  buildCommandBlock,
  bytesToRegisters,
  CHUNK_BYTES,
  chunkCount,
  decodeDirectory,
  encodeChunkFrame,
  registersToBytes,
  REGISTERS,
  type CodecName,
  type MapVersion,
} from '../../../firmware-protocols/terminal-modbus';
import { wireTerminals } from './in-process-wire';
import type { SimulatedTerminal } from './simulated-terminal';

const keys = generateKeyPair();
const signer = new Sm2Signer('202400000019', keys.privateKey);
const V = vectors.cases;
const clips = V.clips as Record<string, string>;
const dataOf = (name: string): Buffer => Buffer.from(clips[name], 'hex');

interface Step {
  op: string;
  clip?: string;
  clipId: number;
  digestOf?: string;
  codec?: string;
  index?: number;
  length?: number;
  expect?: number | null;
  receive?: number[];
  directory?: { clipId: number; clip: string }[];
}

function terminal(o: { storageKb?: number; codecs?: string[]; version?: MapVersion }): SimulatedTerminal {
  return wireTerminals({
    units: [1],
    certSerial: signer.certSerial,
    publicKeyHex: signer.publicKey,
    clipStorageKb: o.storageKb ?? V.storageKb,
    codecs: (o.codecs ?? ['opus-16k', 'mp3-64k', 'pcm-alaw-8k']) as CodecName[],
    mapVersion: () => o.version ?? 2,
  }).get(1)!;
}

let sequence = 0;
function prepare(t: SimulatedTerminal, clipId: number, size: number, digest: string, codec = V.codec) {
  const regs = buildCommandBlock(
    ++sequence,
    { code: 'prepare-clip', clipId, codec: codec as CodecName, size, digest },
    { signer, time: new Date(0) },
  );
  return t.writeRegisters(REGISTERS.command.address, regs, 0, false);
}

function chunk(t: SimulatedTerminal, s: Step) {
  const data = dataOf(s.clip!);
  const index = s.index!;
  // a frame past the clip, or whose length register disagrees with the chunk (§6.2 "out of range"), built by hand
  const length = s.length ?? (index < chunkCount(data.length) ? undefined : CHUNK_BYTES);
  const regs =
    length === undefined
      ? encodeChunkFrame(s.clipId, index, data)
      : [s.clipId, index, length, ...bytesToRegisters(Buffer.alloc(length))];
  return t.writeRegisters(REGISTERS.chunk.address, regs, 0, false);
}

function run(t: SimulatedTerminal, s: Step) {
  switch (s.op) {
    case 'prepare': {
      const data = dataOf(s.clip!);
      return prepare(t, s.clipId, data.length, sm3(s.digestOf ? dataOf(s.digestOf) : data), s.codec);
    }
    case 'chunk':
      return chunk(t, s);
    case 'commit':
      return t.writeRegisters(REGISTERS.commit.address, [s.clipId], 0, false);
    case 'store': {
      const data = dataOf(s.clip!);
      prepare(t, s.clipId, data.length, sm3(data));
      for (let i = 0; i < chunkCount(data.length); i++) chunk(t, { ...s, index: i });
      t.writeRegisters(REGISTERS.commit.address, [s.clipId], 0, false);
      expect(t.readHolding(REGISTERS.receive.address, 4, 0)).toEqual([s.clipId, 2, chunkCount(data.length), 0]);
      return null;
    }
    default:
      throw new Error(`unknown vector step ${s.op}`);
  }
}

describe('stored-clip cases of PROTOCOL.md §6 (vectors/clips.json) on the simulated terminal', () => {
  it.each(V.list.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const t = terminal({
      storageKb: (c as { storageKb?: number }).storageKb,
      codecs: (c as { codecs?: string[] }).codecs,
    });
    for (const s of c.steps as Step[]) {
      const answer = run(t, s);
      if (s.expect !== undefined)
        expect([s.op, s.index, answer]).toEqual([s.op, s.index, s.expect === null ? null : { exception: s.expect }]);
      if (s.receive) expect(t.readHolding(REGISTERS.receive.address, 4, 0)).toEqual(s.receive);
      if (s.directory) {
        const dir = decodeDirectory(t.readHolding(REGISTERS.directory.address, 4 + 3 * 40, 0) as number[]);
        expect(dir.clips).toEqual(
          s.directory.map((d) => ({ clipId: d.clipId, digestPrefix: sm3(dataOf(d.clip)).slice(0, 8) })),
        );
      }
    }
  });
});

describe('bitmap layout of PROTOCOL.md §6.3 (vectors/clips.json) on the simulated terminal', () => {
  it.each(V.layout.map((l) => [l.name, l] as const))('%s', (_name, l) => {
    const t = terminal({ storageKb: 1024, version: l.version as MapVersion });
    const data = Buffer.alloc(l.size);
    expect(prepare(t, l.clipId, l.size, sm3(data))).toBeNull();
    const missing = new Set(l.missing);
    for (let i = 0; i < Math.ceil(l.size / CHUNK_BYTES); i++)
      if (!missing.has(i)) t.writeRegisters(REGISTERS.chunk.address, encodeChunkFrame(l.clipId, i, data), 0, true);
    for (const r of l.reads) {
      const got = t.readHolding(r.address, r.count, 0);
      const seen = Array.isArray(got) ? registersToBytes(got).toString('hex') : got;
      expect([r.address, r.count, seen]).toEqual([
        r.address,
        r.count,
        'exception' in r ? { exception: r.exception } : r.hex,
      ]);
    }
  });
});
