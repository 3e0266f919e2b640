import { SYSTEM_ACTOR } from '../../src/auth/auth-user';
import { AuditService } from '../../src/audit/audit.service';
import { Transactions, managerOf } from '../../src/database/transactions';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';

const insertUser =
  'INSERT INTO users (username, passwordHash, roles, scopes, disabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)';
const userRow = (name: string) => [name, 'x', '[]', '[]', 0, '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000'];

forEachDatabase('transactions', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database });
  });
  afterAll(() => t.close());

  const names = async (): Promise<string[]> =>
    (await t.dataSource.query<{ username: string }[]>('SELECT username FROM users')).map((r) => r.username);

  it('keeps concurrent transactions apart: one rolling back does not take the other with it', async () => {
    const transactions = t.app.get(Transactions);
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const a = transactions.run(async (tx) => {
      await managerOf(tx).query(insertUser, userRow('tx-a'));
      await gate;
      throw new Error('a fails');
    });
    const b = transactions.run(async (tx) => {
      await managerOf(tx).query(insertUser, userRow('tx-b'));
    });
    await new Promise<void>((resolve) => setImmediate(resolve)); // let b start if it can
    openGate();
    await expect(a).rejects.toThrow('a fails');
    await b;
    const now = await names();
    expect(now).toContain('tx-b');
    expect(now).not.toContain('tx-a');
  });

  it('refuses a transaction opened inside another (pass tx down instead)', async () => {
    const transactions = t.app.get(Transactions);
    const audit = t.app.get(AuditService);
    await expect(
      transactions.run(async () => {
        await audit.record({ actor: SYSTEM_ACTOR, action: 'test.nested', entityType: 'test' });
      }),
    ).rejects.toThrow(/inside a transaction/);
  });
});
