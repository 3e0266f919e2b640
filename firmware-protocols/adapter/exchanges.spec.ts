/**
 * The exchanges of vectors/exchanges.json (PROTOCOL.md §7, §9) against the codec alone: every frame sent decodes to
 * its stated meaning, every frame expected back is what the codec encodes for its meaning, the signatures verify
 * over the range §2.3 names (computed here from the text, not taken from the decoder), and — where the machine has
 * them — the CRCs agree with a bit-by-bit CRC-32/MPEG-2 in python3 and the signatures with the openssl CLI.
 * device-drivers/simulator/adapter/exchanges.spec.ts runs the same exchanges against the simulator.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith } from '../../test/support/capabilities';
import { opensslVerifies } from '../../test/support/openssl-sm2';
import { Sm2Verifier } from '../signing/signer';
import commandVectors from './vectors/command-frames.json';
import exchangeVectors from './vectors/exchanges.json';
import replyVectors from './vectors/reply-frames.json';
import returnVectors from './vectors/return-frames.json';
import {
  decodeCommandBody,
  decodeCommandFrame,
  decodeReturnFrame,
  encodeCommandFrame,
  encodeMessageBody,
  encodeReturnFrame,
  type AdapterMessage,
  type ReturnFrame,
} from './index';

interface Step {
  send?: string;
  meaning?: Record<string, unknown>;
  advanceMs?: number;
  expect: { frame: string; meaning?: Record<string, unknown>; return?: Record<string, unknown> }[];
}
const exchanges = exchangeVectors.exchanges as unknown as { name: string; question: string; steps: Step[] }[];
const sends = exchanges.flatMap((e) => e.steps.filter((s) => s.send !== undefined).map((s) => ({ e, s })));
const { key } = exchangeVectors;
const verifier = new Sm2Verifier([key]);

function revive<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
    typeof x === 'string' && /^\d{4}-\d\d-\d\dT.*Z$/.test(x) ? new Date(x) : x,
  ) as T;
}

/** The frame a step sends, without the garbage an exchange puts in front of it. */
function frameOf(s: Step): Buffer {
  const raw = Buffer.from(s.send ?? '', 'hex');
  const garbage = (s.meaning?.garbageBytes as number | undefined) ?? 0;
  return raw.subarray(garbage);
}

/** PROTOCOL.md §2.3, from the text: every byte before the 64 signature bytes (which precede the 4 CRC bytes). */
const signedRange = (f: Buffer) => f.subarray(0, f.length - 4 - 64);
const signatureOf = (f: Buffer) => f.subarray(f.length - 4 - 64, f.length - 4);
const isSigned = (f: Buffer) => f.readUInt16BE(20 + f.readUInt32BE(16)) === 74;
const forged = new Set(['bad-signature', 'signing-time-rewritten']);

describe('adapter exchanges (PROTOCOL.md §7, §9) against the codec', () => {
  it.each(sends.map(({ e, s }) => [e.name, s] as const))('%s: what is sent decodes to its meaning', (_n, s) => {
    const f = frameOf(s);
    const meaning = (s.meaning?.then ?? s.meaning) as Record<string, unknown>;
    if ('notAFrame' in meaning) {
      expect(() => decodeCommandFrame(f)).toThrow(meaning.notAFrame as string);
      return;
    }
    const frame = decodeCommandFrame(f);
    expect(frame.code).toBe(meaning.code);
    const sig = meaning.signature as { time: string; certSerial: string } | null;
    expect(frame.signature === null ? null : { ...frame.signature, signature: undefined }).toEqual(
      sig === null ? null : { time: new Date(sig.time), certSerial: sig.certSerial, signature: undefined },
    );
    const command = meaning.command as Record<string, unknown>;
    if ('undecodable' in command)
      expect(() => decodeCommandBody(frame.code, frame.body)).toThrow(command.undecodable as string);
    else expect(decodeCommandBody(frame.code, frame.body)).toEqual(revive(command));
  });

  it('signs every byte before the signature, and the decoder says the same range', () => {
    for (const { e, s } of sends) {
      const f = frameOf(s);
      if (e.name === 'bad-crc-no-answer' || !isSigned(f)) continue;
      const frame = decodeCommandFrame(f);
      expect(frame.signed.equals(signedRange(f))).toBe(true);
      const verdict = verifier.check(signedRange(f), { ...frame.signature!, signature: signatureOf(f) });
      const wanted = forged.has(e.name)
        ? 'bad-signature'
        : e.name === 'unknown-certificate'
          ? 'unknown-certificate'
          : 'valid';
      expect([e.name, verdict]).toEqual([e.name, wanted]);
    }
  });

  it.each(exchanges.map((e) => [e.name, e] as const))('%s: every frame expected back is the codec’s', (_n, e) => {
    for (const s of e.steps) {
      for (const x of s.expect) {
        if (x.meaning !== undefined) {
          const { code: _c, ...m } = revive<Record<string, unknown>>(x.meaning);
          const message = (m.kind === 'reply' ? { ...m, data: Buffer.alloc(0) } : m) as AdapterMessage;
          const { code, body } = encodeMessageBody(message);
          expect(encodeCommandFrame('reply', code, exchangeVectors.adapter, body, null).toString('hex')).toBe(x.frame);
        } else {
          const r = revive<ReturnFrame & { business: string }>(x.return);
          const decoded = decodeReturnFrame(Buffer.from(x.frame, 'hex'));
          expect(decoded).toEqual({
            packType: r.packType,
            session: r.session,
            source: r.source,
            targets: r.targets,
            data: r.data,
          });
          expect(encodeReturnFrame(decoded).toString('hex')).toBe(x.frame);
        }
      }
    }
  });
});

/** Every frame of every vector file, as the adapter or the platform would put it on the line. */
function allFrames(): { name: string; frame: Buffer; crcOk: boolean }[] {
  const hex = [
    ...commandVectors.commands.map((c) => ({ name: c.name, h: c.frame })),
    ...replyVectors.messages.map((m) => ({ name: m.name, h: m.frame })),
    ...returnVectors.returns.map((r) => ({ name: r.name, h: r.frame })),
    ...sends.map(({ e, s }) => ({ name: e.name, h: frameOf(s).toString('hex') })),
    ...exchanges.flatMap((e) => e.steps.flatMap((s) => s.expect.map((x) => ({ name: e.name, h: x.frame })))),
  ];
  return hex.map(({ name, h }) => ({ name, frame: Buffer.from(h, 'hex'), crcOk: name !== 'bad-crc-no-answer' }));
}

/** CRC-32/MPEG-2 written from its definition in python3 (no library), one line per frame in, one hex CRC out. */
const PYTHON_CRC = `
import sys
for line in sys.stdin.read().split():
    crc = 0xFFFFFFFF
    for b in bytes.fromhex(line):
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    print('%08x' % crc)
`;
const python = spawnSync('python3', ['--version']).status === 0;

(python ? describe : describe.skip)('CRC of every vector frame against python3 (PROTOCOL.md §2.4, §5)', () => {
  it('the last 4 bytes are the big-endian CRC-32/MPEG-2 of every byte before them', () => {
    const frames = allFrames();
    expect(frames.length).toBeGreaterThan(60);
    const input = frames.map((f) => f.frame.subarray(0, f.frame.length - 4).toString('hex')).join('\n');
    const out = spawnSync('python3', ['-c', PYTHON_CRC], { input, encoding: 'utf8' });
    expect(out.status).toBe(0);
    const crcs = out.stdout.trim().split('\n');
    frames.forEach((f, i) => {
      const sent = f.frame.subarray(f.frame.length - 4).toString('hex');
      expect([f.name, sent === crcs[i]]).toEqual([f.name, f.crcOk]);
    });
    const check = spawnSync('python3', ['-c', PYTHON_CRC], { input: Buffer.from('123456789').toString('hex') });
    expect(check.stdout.toString().trim()).toBe(commandVectors.crcCheck.crc);
  });
});

describeWith(['openssl'], 'signatures of the exchange vectors against the openssl CLI (PROTOCOL.md §2.3)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dalaba-adapter-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies each command kind over every byte before the signature, and refuses the rewritten time', () => {
    const byCode = new Map<number, Buffer>();
    for (const { e, s } of sends) {
      const f = frameOf(s);
      if (e.name !== 'bad-crc-no-answer' && isSigned(f) && !forged.has(e.name) && e.name !== 'unknown-certificate')
        byCode.set(f[3], f);
    }
    expect(byCode.size).toBeGreaterThanOrEqual(9);
    for (const [code, f] of byCode)
      expect([code, opensslVerifies(dir, signedRange(f), signatureOf(f), key.publicKey)]).toEqual([code, true]);
    const rewritten = sends.find(({ e }) => e.name === 'signing-time-rewritten')!;
    const f = frameOf(rewritten.s);
    expect(opensslVerifies(dir, signedRange(f), signatureOf(f), key.publicKey)).toBe(false);
  });
});
