import type { AuditEntry, AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/config';
import { Secret } from '../config/env-values';
import { FailedLogins, MAX_PAIRS } from './failed-logins';

describe('FailedLogins', () => {
  const written: AuditEntry[] = [];
  const audit = { record: (e: AuditEntry) => Promise.resolve(void written.push(e)) } as unknown as AuditService;
  const config = { jwtSecret: new Secret('k'.repeat(32)) } as AppConfig;
  beforeEach(() => {
    written.length = 0;
  });

  it('writes one entry per account and address, then one summary per window', async () => {
    const f = new FailedLogins(audit, config);
    for (let i = 0; i < 5; i++)
      await f.record(
        { account: { id: 7, username: 'officer' }, username: 'officer', from: '10.0.0.1', reason: 'wrong password' },
        i === 4,
      );
    await f.record(
      { account: { id: 7, username: 'officer' }, username: 'officer', from: '10.0.0.2', reason: 'wrong password' },
      false,
    );
    expect(written.map((e) => e.action)).toEqual(['auth.login_failed', 'auth.login_failed']);
    await f.flush();
    expect(written.slice(2)).toEqual([
      expect.objectContaining({
        action: 'auth.login_failed_repeated',
        after: expect.objectContaining({ failures: 3, refused: 1, from: '10.0.0.1' }),
      }),
    ]);
  });

  it('stays bounded under a flood: pairs beyond the cap are summed into one entry', async () => {
    const f = new FailedLogins(audit, config);
    for (let i = 0; i < MAX_PAIRS + 500; i++)
      await f.record(
        {
          account: null,
          username: `ghost${i}`,
          from: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
          reason: 'unknown user',
        },
        false,
      );
    expect(written).toHaveLength(MAX_PAIRS + 1);
    expect(written.every((e) => !JSON.stringify(e).includes('ghost'))).toBe(true);
    await f.flush();
    expect(written[written.length - 1]).toMatchObject({
      action: 'auth.login_failed_repeated',
      actor: { username: 'many' },
      after: { failures: 499 },
    });
  });

  it('labels an unknown username by a keyed hash, the same for the same name', () => {
    const f = new FailedLogins(audit, config);
    expect(f.label('Ghost')).toMatch(/^unknown:[0-9a-f]{12}$/);
    expect(f.label('ghost')).toBe(f.label('Ghost'));
    expect(f.label('ghost2')).not.toBe(f.label('ghost'));
  });
});
