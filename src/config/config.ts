/**
 * The server's configuration, validated once at boot into a typed object (fail fast, naming the variable).
 * Every variable is listed in VARIABLES (variables.ts) so that the README table and the error messages come from one
 * place.
 * Secrets are wrapped in `Secret` (env-values.ts), whose string and JSON forms never show the value.
 */
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isResourceCode } from '../../firmware-protocols/codes';
import { TONE_IDS, type ToneId } from '../audio/tones/tone-catalogue';
import { parseWindow, type NightlyWindow } from '../selftest/self-test-plan';
import { ConfigError, integer, onOff, password, Secret, text, type Env } from './env-values';

/** A lease's term when DALABA_LEASE_MS is not set (docs/cluster.md): a stopped instance's buses are driven again within about 5 s. */
export const DEFAULT_LEASE_MS = 4000;

export type DatabaseKind = 'sqlite' | 'mysql';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** auto: readable lines on a terminal, JSON lines otherwise (a pipe, a file, a log collector). */
export type LogFormat = 'auto' | 'pretty' | 'json';
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'pretty', 'json'];

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** sqlite: the file path; mysql: the full URL (a secret: it may carry a password). */
  sqlitePath?: string;
  url?: Secret;
}

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** The JWT signing key: from DALABA_JWT_SECRET, else generated once into <dataDir>/keys (see jwt-secret.ts). */
  jwtSecret: Secret | null;
  tokenTtlSeconds: number;
  adminPassword: Secret | null;
  demoPassword: Secret | null;
  demo: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** This platform's 23-digit resource code (EBRID): the sender of broadcast ids and adapter command frames. */
  platformResourceCode: string;
  field: FieldSettings;
  monitoring: MonitoringSettings;
  dispatch: DispatchSettings;
  /** Origins besides the server's own that may open Socket.IO connections (empty: same origin only). */
  allowedOrigins: string[];
  audit: AuditSettings;
  upstream: UpstreamSettings;
  cluster: ClusterSettings;
}

/** Several instances sharing one MariaDB/MySQL database (src/cluster, docs/cluster.md). */
export interface ClusterSettings {
  /** off: a single instance owning every bus, as always; on: bus and singleton leases in the shared database. */
  enabled: boolean;
  /** A lease's term, ms; renewed every third of it. */
  leaseMs: number;
  /** This instance's name among the others (unique in the cluster). */
  instanceId: string;
  /** Redis for the fan-out of /live between instances (docs/cluster.md); null: none, as a single instance. */
  redisUrl: Secret | null;
  /** Prefix of the Redis streams, channels and keys, so that several clusters may share one Redis. */
  redisPrefix: string;
}

/** The exchange with upstream platforms (EBD) and CAP feeds (src/upstream). */
export interface UpstreamSettings {
  /** A packet whose EBDTime is older than this (or this far in the future) is refused as a replay, ms. */
  maxAgeMs: number;
  /** ConnectionCheck to every EBD sender with a URL this often, ms (0: never). */
  heartbeatMs: number;
  /** Terminal status and online rate (EBRDTState) to every EBD sender this often, ms (0: only when asked). */
  statusReportMs: number;
  /** Our SM2 private key (64 hex digits) and certificate serial; null: generated once into <dataDir>/keys. */
  signingKey: Secret | null;
  certSn: string | null;
  /** Atom or RSS feeds of CAP 1.2 polled for alerts. */
  capFeeds: string[];
  capPollMs: number;
}

/** The audit chain's HMAC key (null: generated into <data dir>/keys/audit-hmac) and its checkpoint interval. */
export interface AuditSettings {
  key: Secret | null;
  checkpointEvery: number;
}

export const EQUAL_PRIORITY_RULES = ['newest-wins', 'first-wins'] as const;
export type EqualPriorityRule = (typeof EQUAL_PRIORITY_RULES)[number];

/** How the dispatch engine starts broadcasts. */
export interface DispatchSettings {
  /** Two broadcasts of equal priority on one terminal: the newer takes over, or the one playing keeps it. */
  equalPriority: EqualPriorityRule;
  /** A synchronised start is set this far ahead of the moment the start command goes out, ms. */
  startLeadMs: number;
  /** Built-in tones stored on every Modbus terminal in the background, in this order (empty = none). */
  provisionTones: ToneId[];
  /** How long after a pass the terminals that do not hold them yet are tried again, ms. */
  provisionRetryMs: number;
}

/** What monitoring keeps and how its alarms behave. */
export interface MonitoringSettings {
  /** Days of terminal status history kept (daily online rates are kept for good). */
  statusHistoryDays: number;
  /** An alarm clears only after its cause has been gone this long (hysteresis against flapping), ms. */
  alarmClearAfterMs: number;
  /** An unacknowledged alarm reminds this often while its cause persists, ms. */
  alarmRemindEveryMs: number;
  /** The nightly window of the terminals' silent self-test (Asia/Shanghai); null: no scheduled self-test. */
  selfTestWindow: NightlyWindow | null;
}

/** How the field module drives the buses and when monitoring calls a terminal offline. */
export interface FieldSettings {
  /** Open a bus for every enabled gateway of the registry; off runs the server without touching the field. */
  enabled: boolean;
  /** Pause between the end of one status sweep of a bus and the start of the next, ms. */
  pollPauseMs: number;
  offlineAfterFailures: number;
  offlineAfterSilenceMs: number;
  /** Demo only: the simulated county's first gateway port (gateway i listens on basePort + i). */
  demoSimulatorBasePort: number;
  /** Demo only: terminals and gateways fail and come back now and then. */
  demoFaults: boolean;
  /** Held schedules (terminal-modbus PROTOCOL.md §9): a terminal plays its own after this many seconds unheard. */
  heldHoldOffSeconds: number;
  /** How often held schedules are checked against the published plan and play logs collected, ms. */
  heldSyncMs: number;
}

function platformCode(env: Env): string {
  const raw = text(env, 'DALABA_PLATFORM_CODE') ?? '43415230000000101010101';
  if (!isResourceCode(raw))
    throw new ConfigError(
      'DALABA_PLATFORM_CODE',
      `must be a 23-digit resource code (level, 12-digit area code, type and sequences), got "${raw}"`,
    );
  return raw;
}

function field(env: Env): FieldSettings {
  return {
    enabled: onOff(env, 'DALABA_FIELD', true),
    pollPauseMs: integer(env, 'DALABA_POLL_PAUSE_MS', 1000, 0, 600_000),
    offlineAfterFailures: integer(env, 'DALABA_OFFLINE_AFTER_FAILURES', 3, 1, 100),
    offlineAfterSilenceMs: integer(env, 'DALABA_OFFLINE_AFTER_SILENCE', 20, 2, 86_400) * 1000,
    demoSimulatorBasePort: integer(env, 'DALABA_DEMO_SIM_PORT', 15020, 1024, 65_000),
    demoFaults: onOff(env, 'DALABA_DEMO_FAULTS', true),
    heldHoldOffSeconds: integer(env, 'DALABA_HELD_HOLD_OFF', 60, 2, 3600),
    heldSyncMs: integer(env, 'DALABA_HELD_SYNC', 60, 1, 3600) * 1000,
  };
}

function monitoring(env: Env): MonitoringSettings {
  return {
    statusHistoryDays: integer(env, 'DALABA_STATUS_HISTORY_DAYS', 90, 1, 3650),
    alarmClearAfterMs: integer(env, 'DALABA_ALARM_CLEAR_AFTER', 30, 0, 86_400) * 1000,
    alarmRemindEveryMs: integer(env, 'DALABA_ALARM_REMIND_EVERY', 1800, 60, 604_800) * 1000,
    selfTestWindow: selfTestWindow(env),
  };
}

function selfTestWindow(env: Env): NightlyWindow | null {
  try {
    return parseWindow(text(env, 'DALABA_SELFTEST_WINDOW') ?? '02:00-04:00');
  } catch (e) {
    throw new ConfigError('DALABA_SELFTEST_WINDOW', (e as Error).message);
  }
}

function dispatch(env: Env): DispatchSettings {
  const rule = text(env, 'DALABA_EQUAL_PRIORITY') ?? 'newest-wins';
  if (!(EQUAL_PRIORITY_RULES as readonly string[]).includes(rule)) {
    throw new ConfigError('DALABA_EQUAL_PRIORITY', `must be one of ${EQUAL_PRIORITY_RULES.join(', ')}, got "${rule}"`);
  }
  return {
    equalPriority: rule as EqualPriorityRule,
    startLeadMs: integer(env, 'DALABA_START_LEAD_MS', 1500, 0, 60_000),
    provisionTones: provisionTones(env),
    provisionRetryMs: integer(env, 'DALABA_PROVISION_RETRY', 600, 1, 86_400) * 1000,
  };
}

/** The chime first (seconds on the wire), then the signals: disaster, air raid, preliminary, all clear. */
const DEFAULT_PROVISION_ORDER: readonly ToneId[] = [
  'tone-chime',
  'tone-disaster',
  'tone-air-raid',
  'tone-preliminary-alert',
  'tone-all-clear',
];

function provisionTones(env: Env): ToneId[] {
  const raw = text(env, 'DALABA_PROVISION_TONES') ?? 'all';
  if (raw === 'all' || raw === 'on') return [...DEFAULT_PROVISION_ORDER];
  if (raw === 'off' || raw === 'none') return [];
  const ids = raw
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const unknown = ids.filter((id) => !(TONE_IDS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new ConfigError(
      'DALABA_PROVISION_TONES',
      `must be all, off or a comma list of ${TONE_IDS.join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`,
    );
  }
  return [...new Set(ids)] as ToneId[];
}

function database(env: Env, dataDir: string): DatabaseConfig {
  const raw = text(env, 'DATABASE_URL');
  if (raw === undefined) return { kind: 'sqlite', sqlitePath: join(dataDir, 'dalaba.sqlite') };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file === '')
      throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/dalaba.sqlite');
    return { kind: 'sqlite', sqlitePath: isAbsolute(file) ? file : resolve(file) };
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid URL (mysql://user:pass@host:3306/database)');
    }
    if (url.pathname.replace(/^\//, '') === '') {
      throw new ConfigError('DATABASE_URL', 'names no database (mysql://user:pass@host:3306/database)');
    }
    return { kind: 'mysql', url: new Secret(raw.replace(/^mariadb:/, 'mysql:')) };
  }
  throw new ConfigError('DATABASE_URL', 'must start with sqlite: or mysql://');
}

/** Validates the environment (and the `--demo` flag) into an AppConfig; throws ConfigError naming the variable. */
export function loadConfig(env: Env, argv: readonly string[] = []): AppConfig {
  const dataDir = resolve(text(env, 'DALABA_DATA_DIR') ?? './data');
  const jwt = env.DALABA_JWT_SECRET;
  if (jwt !== undefined && jwt !== '' && jwt.length < 32) {
    throw new ConfigError('DALABA_JWT_SECRET', 'must be at least 32 characters long');
  }
  const logLevel = (text(env, 'DALABA_LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('DALABA_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const logFormat = (text(env, 'DALABA_LOG_FORMAT') ?? 'auto') as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) {
    throw new ConfigError('DALABA_LOG_FORMAT', `must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
  }
  const db = database(env, dataDir);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    database: db,
    jwtSecret: jwt ? new Secret(jwt) : null,
    tokenTtlSeconds: integer(env, 'DALABA_TOKEN_TTL', 43200, 60, 30 * 86400),
    adminPassword: password(env, 'DALABA_ADMIN_PASSWORD'),
    demoPassword: password(env, 'DALABA_DEMO_PASSWORD'),
    demo: argv.includes('--demo'),
    logLevel,
    logFormat,
    platformResourceCode: platformCode(env),
    field: field(env),
    monitoring: monitoring(env),
    dispatch: dispatch(env),
    allowedOrigins: origins(env),
    audit: audit(env),
    upstream: upstream(env),
    cluster: cluster(env, db),
  };
}

function upstream(env: Env): UpstreamSettings {
  const key = text(env, 'DALABA_UPSTREAM_SIGNING_KEY');
  const certSn = text(env, 'DALABA_UPSTREAM_CERT_SN') ?? null;
  if (key !== undefined && !/^[0-9a-fA-F]{64}$/.test(key))
    throw new ConfigError('DALABA_UPSTREAM_SIGNING_KEY', 'must be 64 hex digits (an SM2 private key)');
  if (key !== undefined && certSn === null)
    throw new ConfigError('DALABA_UPSTREAM_CERT_SN', 'is required with DALABA_UPSTREAM_SIGNING_KEY');
  const feeds = (text(env, 'DALABA_CAP_FEEDS') ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of feeds)
    if (!/^https?:\/\/\S+$/.test(f)) throw new ConfigError('DALABA_CAP_FEEDS', `"${f}" is not an http(s) URL`);
  return {
    maxAgeMs: integer(env, 'DALABA_UPSTREAM_MAX_AGE', 600, 10, 86_400) * 1000,
    heartbeatMs: integer(env, 'DALABA_UPSTREAM_HEARTBEAT', 60, 0, 86_400) * 1000,
    statusReportMs: integer(env, 'DALABA_UPSTREAM_STATUS_EVERY', 900, 0, 86_400) * 1000,
    signingKey: key ? new Secret(key.toLowerCase()) : null,
    certSn,
    capFeeds: feeds,
    capPollMs: integer(env, 'DALABA_CAP_POLL', 60, 5, 86_400) * 1000,
  };
}

function audit(env: Env): AuditSettings {
  const key = env.DALABA_AUDIT_KEY;
  if (key !== undefined && key !== '' && key.length < 32)
    throw new ConfigError('DALABA_AUDIT_KEY', 'must be at least 32 characters long');
  return {
    key: key ? new Secret(key) : null,
    checkpointEvery: integer(env, 'DALABA_AUDIT_CHECKPOINT_EVERY', 100, 1, 1_000_000),
  };
}

function origins(env: Env): string[] {
  const raw = text(env, 'DALABA_ALLOWED_ORIGINS');
  if (!raw) return [];
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let url: URL | null = null;
      try {
        url = new URL(o);
      } catch {
        url = null;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== o.replace(/\/$/, '')) {
        throw new ConfigError('DALABA_ALLOWED_ORIGINS', `"${o}" is not an origin such as https://console.example:8443`);
      }
      return url.origin;
    });
}

function cluster(env: Env, db: DatabaseConfig): ClusterSettings {
  const enabled = onOff(env, 'DALABA_CLUSTER', false);
  if (enabled && db.kind !== 'mysql')
    throw new ConfigError('DALABA_CLUSTER', 'on needs a DATABASE_URL of MySQL/MariaDB shared by every instance');
  const instanceId = text(env, 'DALABA_INSTANCE_ID') ?? `${hostname()}-${process.pid}`.slice(0, 64);
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(instanceId))
    throw new ConfigError(
      'DALABA_INSTANCE_ID',
      `must be 1–64 letters, digits, '.', '_', ':' or '-', got "${instanceId}"`,
    );
  return {
    enabled,
    leaseMs: integer(env, 'DALABA_LEASE_MS', DEFAULT_LEASE_MS, 1000, 60_000),
    instanceId,
    ...redis(env),
  };
}

function redis(env: Env): Pick<ClusterSettings, 'redisUrl' | 'redisPrefix'> {
  const url = text(env, 'DALABA_REDIS_URL');
  if (url !== undefined && !/^rediss?:\/\/\S+$/.test(url))
    throw new ConfigError('DALABA_REDIS_URL', 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  const prefix = text(env, 'DALABA_REDIS_PREFIX') ?? 'dalaba';
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(prefix))
    throw new ConfigError('DALABA_REDIS_PREFIX', `must be 1–64 letters, digits, '.', '_', ':' or '-', got "${prefix}"`);
  return { redisUrl: url ? new Secret(url) : null, redisPrefix: prefix };
}
