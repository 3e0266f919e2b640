/**
 * Reports up survive a restart: a heartbeat that cannot be delivered (the province is down) stays in the outbox,
 * and a server started again on the same database delivers it once the province is back; the province verifies its
 * signature. Our packets' SM2-SM3 signatures also verify with openssl. Runs on SQLite and on MariaDB when
 * TEST_MYSQL_URL is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { parseSignature, TAR_NAMES } from '../../firmware-protocols/ebd';
import { SystemClock } from '../../src/common/clock';
import { unpackArchive } from '../../src/upstream/ebd-archive';
import { UpstreamOutbox } from '../../src/upstream/upstream-outbox';
import { UpstreamReporter } from '../../src/upstream/upstream-reporter';
import { UpstreamSimulator } from '../../src/upstream/upstream-simulator';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { createTestDatabase, forEachDatabase, type TestDatabase } from '../support/databases';
import { opensslVerifies } from '../support/openssl-sm2';
import { connectProvince } from './support';

jest.setTimeout(60_000);

const ENV = { DALABA_UPSTREAM_HEARTBEAT: '0', DALABA_UPSTREAM_STATUS_EVERY: '0' };

forEachDatabase('the upstream outbox', (kind) => {
  let db: TestDatabase;
  let t: TestApp | null = null;
  let sim: UpstreamSimulator | null = null;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
    await db.drop();
  });

  it('keeps a report the province could not take across a restart and delivers it when the province is back', async () => {
    t = await createTestApp({ database: kind, db, env: ENV });
    const admin = await t.adminToken();
    const first = await connectProvince(t, admin);
    const port = Number(new URL(first.sim.url).port);
    const key = { ebrId: first.sim.ebrId };
    await first.sim.stop();

    // the first attempt fails: the province is down
    const failed = firstValueFrom(t.app.get(UpstreamOutbox).attempts);
    await t.app.get(UpstreamReporter).heartbeat();
    expect(await failed).toMatchObject({ state: 'pending', attempts: 1, ebdType: 'ConnectionCheck' });
    const rows = (await t.http.get('/api/upstream/outbox').set(t.auth(admin)).expect(200)).body.items;
    expect(rows[0]).toMatchObject({ state: 'pending', ebdType: 'ConnectionCheck', lastError: expect.any(String) });
    const cert = await t.http.get('/api/upstream/certificate').set(t.auth(admin)).expect(200);
    await t.close({ keepDatabase: true });
    t = null;

    // the province comes back on the same address, still trusting the county's key
    // no server runs while the province comes back: the simulator keeps the system time
    sim = await UpstreamSimulator.start(
      {
        target: 'http://127.0.0.1:1/unused',
        targetEbrId: '43415230000000101010101',
        ebrId: key.ebrId,
        port,
      },
      new SystemClock(),
    );
    sim.trust(cert.body.certSn, cert.body.publicKey);
    const heard = sim.nextReport('ConnectionCheck');
    t = await createTestApp({ database: kind, db, env: ENV });
    const report = await heard;
    expect(report.verified).toBe(true);
    expect(report.packet?.header.srcEbrId).toBe(t.config.platformResourceCode);
  });
});

describeWith(['openssl'], 'our EBD signatures against the openssl CLI', () => {
  let t: TestApp;
  let sim: UpstreamSimulator;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dalaba-ebd-sm2-'));
    t = await createTestApp({ database: 'sqlite', env: ENV });
    ({ sim } = await connectProvince(t, await t.adminToken()));
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('openssl verifies the signature of our EBDResponse over its exact data file, with the default user id', async () => {
    const sealed = await sim.seal({ type: 'ConnectionCheck', check: { time: new Date() } });
    const res = await t.http
      .post('/api/upstream/ebd')
      .attach('file', sealed.tar, sealed.fileName)
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['x-ebd-result-code']).toBe('1');
    const files = await unpackArchive(res.body as Buffer);
    const data = files.find((f) => f.name.startsWith('EBDB_'));
    const ebdId = /^EBDB_(\d+)\.xml$/.exec(data?.name ?? '')?.[1] ?? '';
    const signature = parseSignature(
      files.find((f) => f.name === TAR_NAMES.signature(ebdId))?.body.toString('utf8') ?? '',
    );
    const cert = await t.http
      .get('/api/upstream/certificate')
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(signature.certSn).toBe(cert.body.certSn);
    expect(opensslVerifies(dir, data!.body, signature.value, cert.body.publicKey)).toBe(true);
    const altered = Buffer.from(
      data!.body.toString('utf8').replace('<ResultCode>1</ResultCode>', '<ResultCode>4</ResultCode>'),
    );
    expect(opensslVerifies(dir, altered, signature.value, cert.body.publicKey)).toBe(false);
  });
});
