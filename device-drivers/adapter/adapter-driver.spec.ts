import { AdapterStreamParser } from '../../firmware-protocols/adapter';
import { Sm2Signer, Sm2Verifier } from '../../firmware-protocols/signing/signer';
import { VirtualAdapter } from '../simulator/adapter/virtual-adapter';
import type { BusEvent } from '../terminal-bus';
import { AdapterDriver } from './adapter-driver';
import { ManualClock } from './manual-clock';
import { memoryLinkPair } from './memory-link';
import type { ByteLink, LinkOpener } from './ports';

const SIGNER = new Sm2Signer('000000000017', '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
const PLATFORM = '43415230000000101010101';
const T1 = '63415231002000301010401';

function rig(opts: { failOpens?: number; list?: string[] } = {}) {
  const clock = new ManualClock();
  const signer = SIGNER;
  const adapter = new VirtualAdapter({
    adapterCode: '53415231000000201010101',
    platformCode: PLATFORM,
    terminals: [T1],
    seed: 1,
    clock,
    heartbeatMs: 4000,
    returnPeriodMs: 4000,
    verifier: new Sm2Verifier([{ certSerial: SIGNER.certSerial, publicKey: SIGNER.publicKey }]),
  });
  adapter.startHeartbeats();
  let answering = true;
  let failOpens = opts.failOpens ?? 0;
  const opens: number[] = [];
  let platformEnd: ByteLink | null = null;
  const open: LinkOpener = () => {
    opens.push(clock.now());
    if (failOpens-- > 0) return Promise.reject(new Error('connection refused'));
    const [a, b] = memoryLinkPair();
    const parser = new AdapterStreamParser(['command']);
    b.onData((c) => {
      if (answering) for (const i of parser.push(c)) if (i.kind === 'command') adapter.handle(i.frame);
    });
    const off = adapter.onFrame((f) => b.write(f));
    b.onClose(() => off());
    platformEnd = a;
    return Promise.resolve(a);
  };
  const driver = new AdapterDriver(
    {
      busId: 'town-9',
      platformCode: PLATFORM,
      terminals: opts.list ?? [T1],
      requestTimeoutMs: 500,
      silenceMs: 20_000,
      reconnectInitialMs: 100,
      reconnectMaxMs: 400,
    },
    { open, clock, signer },
  );
  const events: BusEvent[] = [];
  driver.events.subscribe((e) => events.push(e));
  return { clock, adapter, driver, events, opens, mute: () => (answering = false), cut: () => platformEnd?.close() };
}

/** Lets promise callbacks run (no time passes). */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('AdapterDriver on a ManualClock', () => {
  it('times out after exactly requestTimeoutMs when the adapter does not answer', async () => {
    const { clock, driver, mute } = rig();
    await driver.start();
    mute();
    const p = driver.command(1, { code: 'volume', volume: 5 }).catch((e: unknown) => e);
    await settle();
    clock.advance(499);
    await settle();
    let done = false;
    void p.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    expect(await p).toMatchObject({
      kind: 'timeout',
      unit: 1,
      operation: 'command volume',
      message: expect.stringMatching(/no reply 0x14 within 500 ms/),
    });
  });

  it('fails with kind deadline when the caller deadline is sooner than the timeout', async () => {
    const { clock, driver, mute } = rig();
    await driver.start();
    mute();
    const p = driver.readStatus(1, { deadline: clock.now() + 50 }).catch((e: unknown) => e);
    await settle();
    clock.advance(50);
    expect(await p).toMatchObject({ kind: 'deadline' });
  });

  it('reconnects with exponential backoff capped at reconnectMaxMs', async () => {
    const { clock, driver, opens, events } = rig({ failOpens: 4 });
    await driver.start();
    for (let i = 0; i < 200; i++) {
      clock.advance(10);
      await settle();
    }
    const t0 = opens[0];
    expect(opens.slice(0, 5).map((t) => t - t0)).toEqual([0, 100, 300, 700, 1100]);
    expect(driver.connectionState()).toBe('connected');
    expect(
      events.filter((e) => e.type === 'connection').map((e) => (e.type === 'connection' ? e.state : '')),
    ).toContain('disconnected');
  });

  it('fails the transaction in flight with kind disconnected when the link closes', async () => {
    const { driver, mute, cut } = rig();
    await driver.start();
    mute();
    const p = driver.command(1, { code: 'amplifier', on: true }).catch((e: unknown) => e);
    await settle();
    cut();
    expect(await p).toMatchObject({ kind: 'disconnected', busId: 'town-9' });
    expect(driver.connectionState()).toBe('disconnected');
  });

  it('refuses a command on all when it lists no terminal, without sending an empty target list', async () => {
    const { driver, adapter } = rig({ list: [] });
    await driver.start();
    await expect(driver.command('all', { code: 'volume', volume: 5 })).rejects.toMatchObject({ kind: 'wrong-unit' });
    expect(adapter.counters.commands).toBe(0);
  });

  it('turns 回传 heartbeats into status events', async () => {
    const { clock, driver, events } = rig();
    await driver.start();
    clock.advance(4000);
    expect(events.find((e) => e.type === 'status')).toMatchObject({ unit: 1, status: { state: 1, volume: 60 } });
    expect(driver.metrics()).toMatchObject({ busId: 'town-9', connection: 'connected' });
  });
});
