/** A test server over the small county of test/registry/fixture.ts, for the security suites that need one. */
import { TestApp, createTestApp } from '../support/app';
import { buildCounty, type Fixture } from '../registry/fixture';

export interface CountyApp {
  t: TestApp;
  admin: string;
  fx: Fixture;
}

/** Starts the server before the suite's tests (SQLite) and stops it after; read the fields inside tests. */
export function useCountyApp(terminalsPerVillage: number): CountyApp {
  const ctx = {} as CountyApp;
  beforeAll(async () => {
    ctx.t = await createTestApp({ database: 'sqlite' });
    ctx.admin = await ctx.t.adminToken();
    ctx.fx = await buildCounty(ctx.t, ctx.admin, terminalsPerVillage);
  }, 30_000);
  afterAll(() => ctx.t.close());
  return ctx;
}
