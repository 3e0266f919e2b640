import {
  AdapterStreamParser,
  crc32Mpeg2,
  decodeMessageBody,
  encodeCommandBody,
  encodeCommandFrame,
  type AdapterCommand,
  type CommandFrame,
  type ParsedItem,
} from '../../../firmware-protocols/adapter';
import { Sm2Signer, Sm2Verifier } from '../../../firmware-protocols/signing/signer';
import { ManualClock } from '../../adapter/manual-clock';
import { CommandGate } from './command-gate';
import { VirtualAdapter } from './virtual-adapter';

const SIGNER = new Sm2Signer('000000000017', '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
const PLATFORM = '43415230000000101010101';
const T1 = '63415231002000301010401';
const BID = '43415230000000101010101202410230001';
const verifier = new Sm2Verifier([{ certSerial: SIGNER.certSerial, publicKey: SIGNER.publicKey }]);

function frameOf(c: AdapterCommand, clock: ManualClock, signed = true): CommandFrame {
  const { code, body } = encodeCommandBody(c);
  const raw = encodeCommandFrame(
    'command',
    code,
    PLATFORM,
    body,
    signed ? { signer: SIGNER, at: new Date(clock.now()) } : null,
  );
  const [item] = new AdapterStreamParser(['command']).push(raw);
  if (item.kind !== 'command') throw new Error('vector did not parse');
  return item.frame;
}

function setup(seed = 7) {
  const clock = new ManualClock();
  const adapter = new VirtualAdapter({
    adapterCode: '53415231000000201010101',
    platformCode: PLATFORM,
    terminals: [T1],
    seed,
    clock,
    verifier,
    heartbeatMs: 1000,
  });
  const parser = new AdapterStreamParser(['reply', 'return']);
  const out: ParsedItem[] = [];
  const raw: string[] = [];
  adapter.onFrame((f) => {
    raw.push(f.toString('hex'));
    out.push(...parser.push(f));
  });
  const kinds = () =>
    out.map((i) =>
      i.kind === 'command'
        ? decodeMessageBody(i.frame.code, i.frame.body).kind
        : i.kind === 'return'
          ? i.frame.data.business
          : 'invalid',
    );
  return { clock, adapter, out, raw, kinds };
}

const play = (clock: ManualClock): AdapterCommand => ({
  code: 'broadcast',
  broadcastId: BID,
  start: true,
  broadcastClass: 4,
  eventType: '11B03',
  level: 2,
  startAt: new Date(clock.now()),
  endAt: new Date(clock.now() + 30_000),
  volume: 70,
  addressing: 'logical',
  targets: [T1],
  text: null,
  auxMedia: [],
  inputChannel: 1,
  outputChannels: 1,
});

describe('VirtualAdapter', () => {
  it('plays, reports task start, and ends at the end time on its clock', () => {
    const { clock, adapter, kinds } = setup();
    adapter.handle(frameOf(play(clock), clock));
    expect(kinds()).toEqual(['reply', 'taskSwitch', 'taskStart']);
    expect(adapter.terminals.get(T1)).toMatchObject({ state: 5, volume: 70, broadcastId: BID });
    clock.advance(30_000);
    expect(kinds().slice(3)).toEqual(['broadcastResult', 'taskEnd']);
    expect(adapter.terminals.get(T1)).toMatchObject({ state: 1, broadcastId: null });
  });

  it('refuses unsigned and replayed commands, and counts them', () => {
    const { clock, adapter, out } = setup();
    const f = frameOf({ code: 'volume', volume: 10, addressing: 'logical', targets: [T1] }, clock);
    adapter.handle(frameOf({ code: 'volume', volume: 20, addressing: 'logical', targets: [T1] }, clock, false));
    adapter.handle(f);
    adapter.handle(f);
    const results = out.map((i) => (i.kind === 'command' ? decodeMessageBody(i.frame.code, i.frame.body) : null));
    expect(results.map((r) => (r?.kind === 'reply' ? r.result : null))).toEqual(['badSignature', 'ok', 'refused']);
    expect(adapter.counters).toMatchObject({ refused: 2, replays: 1 });
    expect(adapter.terminals.get(T1)?.volume).toBe(10);
  });

  it('is the same run after run for the same seed and clock', () => {
    const run = (seed: number) => {
      const s = setup(seed);
      s.adapter.startHeartbeats();
      s.adapter.handle(frameOf({ code: 'statusQuery', session: 9, target: T1 }, s.clock));
      s.clock.advance(3000);
      s.adapter.stop();
      return s.raw;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});

describe('CommandGate (PROTOCOL.md §2.3, §7.2)', () => {
  it('refuses an old frame whose signing time an attacker rewrote, and remembers only the window', () => {
    const { clock, adapter, out } = setup();
    const old = frameOf({ code: 'volume', volume: 10, addressing: 'logical', targets: [T1] }, clock);
    adapter.handle(old);
    clock.advance(3_600_000);
    for (let i = 0; i < 5; i++) {
      adapter.handle(frameOf({ code: 'volume', volume: 20 + i, addressing: 'logical', targets: [T1] }, clock));
      clock.advance(100_000);
    }
    // the old frame as captured: outside the window
    adapter.handle(old);
    // the same bytes with the signing time set to now and the CRC recomputed: the signature no longer verifies
    const raw = encodeCommandFrame('command', old.code, PLATFORM, old.body, old.signature);
    raw.writeUInt32BE(clock.now() / 1000, raw.length - 4 - 74);
    raw.writeUInt32BE(crc32Mpeg2(raw, 0, raw.length - 4), raw.length - 4);
    const [forged] = new AdapterStreamParser(['command']).push(raw);
    if (forged.kind !== 'command') throw new Error('forged frame did not parse');
    adapter.handle(forged.frame);
    const results = out.map((i) => (i.kind === 'command' ? decodeMessageBody(i.frame.code, i.frame.body) : null));
    expect(results.map((r) => (r?.kind === 'reply' ? r.result : null)).slice(-2)).toEqual(['refused', 'badSignature']);
    expect(adapter.terminals.get(T1)?.volume).toBe(24);
  });

  it('keeps no signature older than the window before the newest one', () => {
    const gate = new CommandGate(verifier, 300);
    const clock = new ManualClock();
    for (let i = 0; i < 20; i++) {
      expect(gate.check(frameOf({ code: 'clock', at: new Date(clock.now()) }, clock), clock.now())).toBe('pass');
      clock.advance(60_000);
    }
    expect(gate.remembered()).toBeLessThanOrEqual(6);
  });
});
