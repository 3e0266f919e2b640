/**
 * The demo's daily relay (src/relay/demo-relay.seeder.ts): the county FM news every weekday 12:00–12:30 and
 * 18:40–19:00, drafted by the demo officer and published by the demo approver (two people, as the review rule asks),
 * in every county terminal's day view; seeded once across restarts.
 */
import { AccountsBootstrap } from '../../src/auth/accounts.bootstrap';
import { DEMO_PROGRAMME, DemoRelaySeeder } from '../../src/relay/demo-relay.seeder';
import { createTestApp } from '../support/app';
import { createTestDatabase } from '../support/databases';

jest.setTimeout(90_000);

/** The first Monday-to-Friday day (Asia/Shanghai, yyyy-mm-dd) from tomorrow on. */
function nextWeekday(): string {
  const day = new Date(Date.now() + 8 * 3600_000);
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  return day.toISOString().slice(0, 10);
}

describe('demo relay [sqlite]', () => {
  it('publishes the county FM news for weekdays after a second person’s review, once across restarts', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const t = await createTestApp({ database: 'sqlite', db, demo: true });
      const password = t.app.get(AccountsBootstrap).demoPassword ?? '';
      const officer = t.auth(await t.login('officer', password));
      const programmes = await t.http.get('/api/relay/programmes').set(officer).expect(200);
      const programme = (programmes.body.items as { id: number; name: string }[]).find(
        (p) => p.name === DEMO_PROGRAMME,
      );
      expect(programme).toMatchObject({
        source: { kind: 'fm', frequency: 9530 },
        priorityClass: 'county',
        targets: { areaCodes: ['341523000000'] },
      });

      const schedules = await t.http.get(`/api/relay/schedules?programmeId=${programme!.id}`).set(officer).expect(200);
      expect(schedules.body).toHaveLength(2);
      const users = await t.http
        .get('/api/users')
        .set(t.auth(await t.adminToken()))
        .expect(200);
      const idOf = (name: string) =>
        (users.body.items ?? users.body).find((u: { username: string }) => u.username === name).id;
      for (const s of schedules.body) {
        expect(s).toMatchObject({ state: 'published', createdById: idOf('officer'), publishedById: idOf('approver') });
        expect(s.published.recurrence).toMatchObject({ kind: 'weekdays' });
      }

      const day = nextWeekday();
      const town = await t.http.get(`/api/relay/day?date=${day}&areaCode=341523101000`).set(officer).expect(200);
      expect(town.body.terminals.length).toBeGreaterThan(100);
      const wall = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(11, 16);
      for (const terminal of town.body.terminals)
        expect(terminal.slots.map((s: { start: string; end: string }) => `${wall(s.start)}–${wall(s.end)}`)).toEqual([
          '12:00–12:30',
          '18:40–19:00',
        ]);
      await t.close({ keepDatabase: true });

      const again = await createTestApp({ database: 'sqlite', db, demo: true });
      expect(await again.app.get(DemoRelaySeeder).seed()).toEqual({ seeded: false, scheduleIds: [] });
      await again.close({ keepDatabase: true });
    } finally {
      await db.drop();
    }
  });
});
