/**
 * Finding: the audit chain caught edits in the middle but not a truncated tail or a completely re-chained log (no key,
 * no anchor). Now the chain is an HMAC with a key outside the database, and signed checkpoints outside it vouch for
 * its head; verify names the first bad row or the missing tail.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, rowHash, type ChainedRow } from '../../src/audit/audit-chain';
import { checkCheckpoints } from '../../src/audit/audit-checkpoints';
import { TestApp, createTestApp } from '../support/app';

/** An audit row as the database returns it (`at` as stored). */
type Row = Omit<ChainedRow, 'at'> & { at: string | Date };

const ENV = { DALABA_AUDIT_CHECKPOINT_EVERY: '3' };

async function withEntries(n: number): Promise<{ t: TestApp; admin: string }> {
  const t = await createTestApp({ database: 'sqlite', env: ENV });
  const admin = await t.adminToken();
  for (let i = 0; i < n; i++) {
    await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({ username: `u${i}`, password: 'long-enough-9', roles: ['viewer'], scopes: [] })
      .expect(201);
  }
  return { t, admin };
}

const verify = async (t: TestApp, admin: string) =>
  (await t.http.get('/api/audit/verify').set(t.auth(admin)).expect(200)).body;
const rows = (t: TestApp) => t.dataSource.query<Row[]>('SELECT * FROM audit_log ORDER BY id');

/** Rewrites every row's hash as the unkeyed chain an attacker with the database alone can compute. */
async function rechain(t: TestApp, all: Row[]): Promise<void> {
  let prev = GENESIS_HASH;
  await t.dataSource.query('DELETE FROM audit_log');
  for (const r of all) {
    const base = { ...r, at: new Date(r.at), prevHash: prev };
    const hash = rowHash(base);
    await t.dataSource.query(
      'INSERT INTO audit_log (id, at, actorId, actorName, action, entityType, entityId, before, after, prevHash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [r.id, r.at, r.actorId, r.actorName, r.action, r.entityType, r.entityId, r.before, r.after, prev, hash],
    );
    prev = hash;
  }
}

describe('the audit chain resists truncation and re-chaining', () => {
  it('reports a truncated tail against the newest signed checkpoint', async () => {
    const { t, admin } = await withEntries(4);
    try {
      const clean = await verify(t, admin);
      expect(clean).toMatchObject({ ok: true, firstBroken: null, missingTail: null });
      const head = (await rows(t)).at(-1)!.id;
      await t.dataSource.query('DELETE FROM audit_log WHERE id > ?', [head - 2]);
      const cut = await verify(t, admin);
      expect(cut.ok).toBe(false);
      expect(cut.missingTail).toMatchObject({ checkpointId: head, lastId: head - 2 });
    } finally {
      await t.close();
    }
  });

  it('reports a log re-chained without the key, even with an edited row and valid plain hashes', async () => {
    const { t, admin } = await withEntries(4);
    try {
      const all = await rows(t);
      all[3].actorName = 'someone-else';
      await rechain(t, all);
      const res = await verify(t, admin);
      expect(res.ok).toBe(false);
      expect(res.firstBroken).toMatchObject({ id: 1, reason: expect.stringMatching(/keyed hash/) });

      // the marker row removed as well: the whole chain is plain, which no keyed server ever writes
      await rechain(
        t,
        all.filter((r) => r.action !== 'audit.keyed').map((r, i) => ({ ...r, id: i + 1 })),
      );
      const stripped = await verify(t, admin);
      expect(stripped.ok).toBe(false);
      expect(stripped.firstBroken.reason).toMatch(/no row is keyed/);
    } finally {
      await t.close();
    }
  });

  it('keeps its key and checkpoints outside the database, 0600, checkable offline with the public key', async () => {
    const { t, admin } = await withEntries(7);
    try {
      await verify(t, admin);
      const keys = join(t.config.dataDir, 'keys');
      for (const f of ['audit-hmac', 'audit-signing.json', 'audit-checkpoints.jsonl'])
        expect([f, statSync(join(keys, f)).mode & 0o777]).toEqual([f, 0o600]);
      const lines = readFileSync(join(keys, 'audit-checkpoints.jsonl'), 'utf8').split('\n');
      const pub = readFileSync(join(keys, 'audit-signing.pub'), 'utf8').trim();
      const report = checkCheckpoints(lines, pub);
      expect(report.badLines).toEqual([]);
      expect(report.newest?.id).toBe((await rows(t)).at(-1)!.id);
      const forged = lines.map((l) => l.replace(/"hash":"[0-9a-f]{8}/, '"hash":"00000000'));
      expect(checkCheckpoints(forged, pub).badLines.length).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('keys an existing unkeyed chain at the first start, keeping its rows verifiable', async () => {
    const first = await createTestApp({ database: 'sqlite', env: ENV });
    const legacy = (await rows(first)).filter((r) => r.action !== 'audit.keyed').map((r, i) => ({ ...r, id: i + 1 }));
    await rechain(first, legacy);
    const legacyHead = (await rows(first)).at(-1)!.hash;
    await first.close({ keepDatabase: true });
    for (const f of ['audit-hmac', 'audit-signing.json', 'audit-signing.pub', 'audit-checkpoints.jsonl'])
      rmSync(join(first.config.dataDir, 'keys', f), { force: true });

    const t = await createTestApp({ database: 'sqlite', env: ENV, db: first.db });
    try {
      const admin = await t.adminToken();
      const res = await verify(t, admin);
      expect(res).toMatchObject({ ok: true, firstBroken: null, missingTail: null });
      const marker = (await rows(t)).find((r) => r.action === 'audit.keyed')!;
      expect(marker.id).toBe(legacy.length + 1);
      expect(JSON.parse(marker.after!)).toEqual({ legacyRows: legacy.length, legacyHead });
    } finally {
      await t.close();
      await first.db.drop();
    }
  });
});
