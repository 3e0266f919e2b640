/**
 * The adapter driver on a serial line: a socat pseudo-terminal pair, the virtual adapter on one end, the driver on
 * the other, 9,600 baud 8N1 (PROTOCOL.md §7 exchanges, same assertions as over TCP where they apply).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { filter, firstValueFrom } from 'rxjs';
import { Sm2Signer, Sm2Verifier } from '../../firmware-protocols/signing/signer';
import { AdapterDriver } from '../../device-drivers/adapter/adapter-driver';
import { serialLink, systemClock } from '../../device-drivers/adapter/ports';
import { VirtualAdapterServer } from '../../device-drivers/simulator/adapter/adapter-server';
import { describeWith } from '../support/capabilities';

const SIGNER = new Sm2Signer('000000000017', '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
const PLATFORM = '43415230000000101010101';
const T1 = '63415231002000301010401';
const BID = '43415230000000101010101202410230002';

/** Starts socat and resolves with the two pseudo-terminal paths it prints. */
function ptyPair(): Promise<{ proc: ChildProcess; a: string; b: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0']);
    const paths: string[] = [];
    let err = '';
    proc.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      for (const m of c.toString().matchAll(/PTY is (\S+)/g)) paths.push(m[1]);
      if (paths.length === 2) resolve({ proc, a: paths[0], b: paths[1] });
    });
    proc.once('exit', (code) => reject(new Error(`socat exited ${code}: ${err}`)));
  });
}

describeWith(['socat'], 'adapter driver ↔ virtual adapter over a serial pseudo-terminal pair', () => {
  let socat: ChildProcess;
  let server: VirtualAdapterServer;
  let driver: AdapterDriver;

  beforeAll(async () => {
    const pair = await ptyPair();
    socat = pair.proc;
    const verifier = new Sm2Verifier([{ certSerial: SIGNER.certSerial, publicKey: SIGNER.publicKey }]);
    server = new VirtualAdapterServer({
      adapterCode: '53415231000000201010101',
      platformCode: PLATFORM,
      terminals: [T1],
      seed: 3,
      clock: systemClock,
      verifier,
      heartbeatMs: 200,
      returnPeriodMs: 200,
    });
    server.attach(await serialLink(pair.a, { baudRate: 9600 })());
    server.adapter.startHeartbeats();
    driver = new AdapterDriver(
      { busId: 'serial-1', platformCode: PLATFORM, terminals: [T1], requestTimeoutMs: 2000, silenceMs: 5000 },
      {
        open: serialLink(pair.b, { baudRate: 9600 }),
        clock: systemClock,
        signer: SIGNER,
      },
    );
    await driver.start();
  });

  afterAll(async () => {
    await driver.stop();
    await server.close();
    socat.kill();
  });

  it('starts a broadcast and reads the status TLV over the serial line', async () => {
    expect(driver.connectionState()).toBe('connected');
    const start = firstValueFrom(
      driver.events.pipe(filter((e) => e.type === 'report' && e.report.kind === 'taskStart')),
    );
    await driver.command(1, {
      code: 'play',
      source: 'line-in',
      priority: 5,
      broadcastClass: 1,
      repeat: 1,
      volume: 40,
      broadcastId: BID,
    });
    await expect(start).resolves.toMatchObject({ unit: 1, report: { broadcastId: BID } });
    await expect(driver.readStatus(1)).resolves.toMatchObject({ state: 5, broadcastClass: 1, volume: 40, priority: 5 });
  });

  it('survives a garbage burst on the serial line', async () => {
    server.garbageBurst(600);
    await firstValueFrom(
      driver.events.pipe(filter((e) => e.type === 'report' && e.report.kind === 'adapterHeartbeat')),
    );
    await expect(driver.readStatus(1)).resolves.toMatchObject({ state: 5 });
  });
});
