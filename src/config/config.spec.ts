import { inspect } from 'node:util';
import { loadConfig } from './config';
import { ConfigError, Secret } from './env-values';
import { VARIABLES } from './variables';

describe('loadConfig', () => {
  it('has working defaults: port 3000, ./data, SQLite inside the data folder', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.database).toEqual({ kind: 'sqlite', sqlitePath: `${c.dataDir}/dalaba.sqlite` });
    expect(c.demo).toBe(false);
    expect(c.adminPassword).toBeNull();
    expect(loadConfig({}, ['--demo']).demo).toBe(true);
  });

  it('reads a MySQL/MariaDB URL as a secret', () => {
    const c = loadConfig({ DATABASE_URL: 'mysql://root:pw@127.0.0.1:3306/dalaba' });
    expect(c.database.kind).toBe('mysql');
    expect(c.database.url?.reveal()).toBe('mysql://root:pw@127.0.0.1:3306/dalaba');
    expect(JSON.stringify(c)).not.toContain('pw@');
    expect(inspect(c)).not.toContain('pw@');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1:3306' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
    [{ DALABA_JWT_SECRET: 'short' }, 'DALABA_JWT_SECRET'],
    [{ DALABA_ADMIN_PASSWORD: 'short' }, 'DALABA_ADMIN_PASSWORD'],
    [{ DALABA_DEMO_PASSWORD: 'short' }, 'DALABA_DEMO_PASSWORD'],
    [{ DALABA_LOG_LEVEL: 'loud' }, 'DALABA_LOG_LEVEL'],
    [{ DALABA_TOKEN_TTL: '5' }, 'DALABA_TOKEN_TTL'],
    [{ DALABA_SELFTEST_WINDOW: '04:00-02:00' }, 'DALABA_SELFTEST_WINDOW'],
    [{ DALABA_SELFTEST_WINDOW: 'nightly' }, 'DALABA_SELFTEST_WINDOW'],
  ])('fails fast naming the variable: %j', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  it('never prints a secret', () => {
    const s = new Secret('hunter22');
    expect(String(s)).toBe('[secret]');
    expect(JSON.stringify({ s })).toBe('{"s":"[secret]"}');
    expect(inspect({ s })).not.toContain('hunter22');
    expect(s.reveal()).toBe('hunter22');
  });

  it('documents every variable it reads', () => {
    const names = VARIABLES.map((v) => v.name);
    for (const n of [
      'PORT',
      'DALABA_DATA_DIR',
      'DATABASE_URL',
      'DALABA_JWT_SECRET',
      'DALABA_ADMIN_PASSWORD',
      'DALABA_DEMO_PASSWORD',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('log format', () => {
  it('is auto by default, pretty or json when asked, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ DALABA_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ DALABA_LOG_FORMAT: 'xml' })).toThrow(
      /DALABA_LOG_FORMAT: must be one of auto, pretty, json/,
    );
  });
});

describe('field and platform settings', () => {
  it('defaults follow field practice and the reference county', () => {
    const c = loadConfig({});
    expect(c.field).toEqual({
      heldHoldOffSeconds: 60,
      heldSyncMs: 60_000,
      enabled: true,
      pollPauseMs: 1000,
      offlineAfterFailures: 3,
      offlineAfterSilenceMs: 20_000,
      demoSimulatorBasePort: 15020,
      demoFaults: true,
    });
    expect(c.platformResourceCode).toBe('43415230000000101010101');
    expect(c.monitoring).toEqual({
      statusHistoryDays: 90,
      alarmClearAfterMs: 30_000,
      alarmRemindEveryMs: 1_800_000,
      // the terminals' nightly self-test, 02:00–04:00 Asia/Shanghai
      selfTestWindow: { startSeconds: 7200, endSeconds: 14_400 },
    });
    // every built-in tone on every terminal, the chime first
    expect(c.dispatch.provisionTones).toEqual([
      'tone-chime',
      'tone-disaster',
      'tone-air-raid',
      'tone-preliminary-alert',
      'tone-all-clear',
    ]);
    expect(c.dispatch.provisionRetryMs).toBe(600_000);
    expect(loadConfig({ DALABA_PROVISION_TONES: 'off' }).dispatch.provisionTones).toEqual([]);
    expect(loadConfig({ DALABA_SELFTEST_WINDOW: 'off' }).monitoring.selfTestWindow).toBeNull();
    expect(loadConfig({ DALABA_PROVISION_TONES: ' tone-air-raid , tone-chime ' }).dispatch.provisionTones).toEqual([
      'tone-air-raid',
      'tone-chime',
    ]);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ DALABA_FIELD: 'maybe' })).toThrow('DALABA_FIELD: must be on or off, got "maybe"');
    expect(() => loadConfig({ DALABA_OFFLINE_AFTER_SILENCE: '1' })).toThrow(
      'DALABA_OFFLINE_AFTER_SILENCE: must be between 2 and 86400, got 1',
    );
    expect(() => loadConfig({ DALABA_PLATFORM_CODE: '1234' })).toThrow(
      /^DALABA_PLATFORM_CODE: must be a 23-digit resource code/,
    );
    expect(() => loadConfig({ DALABA_STATUS_HISTORY_DAYS: '0' })).toThrow(
      'DALABA_STATUS_HISTORY_DAYS: must be between 1 and 3650, got 0',
    );
    expect(() => loadConfig({ DALABA_PROVISION_TONES: 'tone-chime,tone-siren' })).toThrow(
      /^DALABA_PROVISION_TONES: must be all, off or a comma list of .*; unknown: tone-siren$/,
    );
    expect(() => loadConfig({ DALABA_PROVISION_RETRY: '0' })).toThrow(
      'DALABA_PROVISION_RETRY: must be between 1 and 86400, got 0',
    );
    expect(loadConfig({ DALABA_ALARM_CLEAR_AFTER: '0' }).monitoring.alarmClearAfterMs).toBe(0);
    expect(loadConfig({ DALABA_FIELD: 'off', DALABA_POLL_PAUSE_MS: '0' }).field).toMatchObject({
      enabled: false,
      pollPauseMs: 0,
    });
  });
});

describe('cluster settings', () => {
  it('are off by default, with a 4 s lease and an id from the host name and process id', () => {
    const c = loadConfig({}).cluster;
    expect(c).toMatchObject({ enabled: false, leaseMs: 4000 });
    expect(c.instanceId).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('switch on only over a shared MySQL/MariaDB database, naming the variable that is wrong', () => {
    const mysql = { DATABASE_URL: 'mysql://u:p@db:3306/dalaba' };
    expect(
      loadConfig({ ...mysql, DALABA_CLUSTER: 'on', DALABA_LEASE_MS: '9000', DALABA_INSTANCE_ID: 'ctl-2' }).cluster,
    ).toEqual({ enabled: true, leaseMs: 9000, instanceId: 'ctl-2', redisUrl: null, redisPrefix: 'dalaba' });
    expect(() => loadConfig({ DALABA_CLUSTER: 'on' })).toThrow(/^DALABA_CLUSTER: on needs a DATABASE_URL of MySQL/);
    expect(() => loadConfig({ DALABA_CLUSTER: 'maybe' })).toThrow(/^DALABA_CLUSTER: must be on or off/);
    expect(() => loadConfig({ DALABA_LEASE_MS: '100' })).toThrow('DALABA_LEASE_MS: must be between 1000 and 60000');
    expect(() => loadConfig({ DALABA_INSTANCE_ID: 'has space' })).toThrow(/^DALABA_INSTANCE_ID: must be 1–64/);
  });

  it('have no Redis unless DALABA_REDIS_URL is set; its URL is a secret; a bad URL or prefix names the variable', () => {
    expect(loadConfig({}).cluster).toMatchObject({ redisUrl: null, redisPrefix: 'dalaba' });
    const c = loadConfig({ DALABA_REDIS_URL: 'redis://:pw@cache:6379/2', DALABA_REDIS_PREFIX: 'county-1' }).cluster;
    expect(c.redisUrl?.reveal()).toBe('redis://:pw@cache:6379/2');
    expect(JSON.stringify(c)).not.toContain('pw');
    expect(c.redisPrefix).toBe('county-1');
    expect(() => loadConfig({ DALABA_REDIS_URL: 'cache:6379' })).toThrow(/^DALABA_REDIS_URL: must be a redis:\/\//);
    expect(() => loadConfig({ DALABA_REDIS_PREFIX: 'a b' })).toThrow(/^DALABA_REDIS_PREFIX: must be 1–64/);
  });

  it('are documented', () => {
    const names = VARIABLES.map((v) => v.name);
    for (const n of [
      'DALABA_CLUSTER',
      'DALABA_LEASE_MS',
      'DALABA_INSTANCE_ID',
      'DALABA_REDIS_URL',
      'DALABA_REDIS_PREFIX',
    ])
      expect(names).toContain(n);
  });
});
