/** The environment variables the server reads, with their defaults and what they do (the README's table). */
import { LOG_LEVELS } from './config';

export interface VariableDoc {
  name: string;
  default: string;
  secret: boolean;
  description: string;
}

/** Every environment variable the server reads (the README's configuration table lists the same). */
export const VARIABLES: readonly VariableDoc[] = [
  { name: 'PORT', default: '3000', secret: false, description: 'HTTP port (0 picks a free one).' },
  { name: 'HOST', default: '0.0.0.0', secret: false, description: 'Interface to listen on.' },
  {
    name: 'DALABA_DATA_DIR',
    default: './data',
    secret: false,
    description: 'Folder for the SQLite file, audio and keys.',
  },
  {
    name: 'DATABASE_URL',
    default: 'sqlite:<data dir>/dalaba.sqlite',
    secret: true,
    description: 'sqlite:<file> or mysql://user:pass@host:3306/db (MySQL 8 or MariaDB 10.11, detected at start).',
  },
  {
    name: 'DALABA_JWT_SECRET',
    default: 'generated into <data dir>/keys/jwt-secret',
    secret: true,
    description: 'Key signing login tokens (at least 32 characters).',
  },
  { name: 'DALABA_TOKEN_TTL', default: '43200', secret: false, description: 'Lifetime of a login token in seconds.' },
  {
    name: 'DALABA_ADMIN_PASSWORD',
    default: '(required on first start, except in the demo)',
    secret: true,
    description: 'Password of the first administrator `admin` (at least 8 characters).',
  },
  {
    name: 'DALABA_DEMO_PASSWORD',
    default: 'generated and printed at start',
    secret: true,
    description: 'Password of the demo accounts (demo only).',
  },
  { name: 'DALABA_LOG_LEVEL', default: 'info', secret: false, description: `One of ${LOG_LEVELS.join(', ')}.` },
  {
    name: 'DALABA_LOG_FORMAT',
    default: 'auto',
    secret: false,
    description: 'auto (readable lines on a terminal, JSON lines otherwise), pretty or json.',
  },
  {
    name: 'DALABA_PLATFORM_CODE',
    default: '43415230000000101010101',
    secret: false,
    description:
      "This platform's 23-digit resource code (level + area code + type): sender of broadcast ids (EBMID) and adapter commands. Set your own.",
  },
  {
    name: 'DALABA_FIELD',
    default: 'on',
    secret: false,
    description: 'on: open a bus for every enabled gateway and poll its terminals; off: never touch the field.',
  },
  {
    name: 'DALABA_POLL_PAUSE_MS',
    default: '1000',
    secret: false,
    description: 'Pause between two status sweeps of one bus, ms (0 = sweep continuously).',
  },
  {
    name: 'DALABA_HELD_HOLD_OFF',
    default: '60',
    secret: false,
    description:
      'Seconds a terminal holding a schedule must hear nothing from the controller before it plays the schedule itself (2–3600; keep it above a bus sweep).',
  },
  {
    name: 'DALABA_HELD_SYNC',
    default: '60',
    secret: false,
    description:
      "Seconds between two checks of the terminals' held schedules and play logs (and at once on a published change).",
  },
  {
    name: 'DALABA_OFFLINE_AFTER_FAILURES',
    default: '3',
    secret: false,
    description: 'A terminal is offline after this many failed polls in a row.',
  },
  {
    name: 'DALABA_OFFLINE_AFTER_SILENCE',
    default: '20',
    secret: false,
    description: 'A terminal is offline after this many seconds without a good read or heartbeat.',
  },
  {
    name: 'DALABA_STATUS_HISTORY_DAYS',
    default: '90',
    secret: false,
    description: 'Days of terminal status history kept (daily online rates are kept for good).',
  },
  {
    name: 'DALABA_ALARM_CLEAR_AFTER',
    default: '30',
    secret: false,
    description: 'An alarm clears only after its cause has been gone this many seconds (against flapping).',
  },
  {
    name: 'DALABA_ALARM_REMIND_EVERY',
    default: '1800',
    secret: false,
    description: 'An unacknowledged alarm reminds every this many seconds while its cause persists.',
  },
  {
    name: 'DALABA_SELFTEST_WINDOW',
    default: '02:00-04:00',
    secret: false,
    description:
      'Nightly window (Asia/Shanghai, HH:MM-HH:MM) in which every terminal runs its silent self-test, spread over each bus; off = none.',
  },
  {
    name: 'DALABA_EQUAL_PRIORITY',
    default: 'newest-wins',
    secret: false,
    description:
      'Two broadcasts of equal priority on one terminal: newest-wins (the newer takes over) or first-wins (the one playing keeps it).',
  },
  {
    name: 'DALABA_START_LEAD_MS',
    default: '1500',
    secret: false,
    description: 'A synchronised start is set this many ms ahead, so every bus begins together.',
  },
  {
    name: 'DALABA_PROVISION_TONES',
    default: 'all',
    secret: false,
    description:
      'Built-in tones stored on every Modbus terminal in the background, at the lowest bus class: all, off, or a comma list of tone ids in the order wanted.',
  },
  {
    name: 'DALABA_PROVISION_RETRY',
    default: '600',
    secret: false,
    description: 'Seconds after a provisioning pass before terminals that do not hold the tones yet are tried again.',
  },
  {
    name: 'DALABA_UPSTREAM_MAX_AGE',
    default: '600',
    secret: false,
    description: 'Seconds an upstream packet (EBDTime) may be old (or ahead) before it is refused as a replay.',
  },
  {
    name: 'DALABA_UPSTREAM_HEARTBEAT',
    default: '60',
    secret: false,
    description: 'Seconds between ConnectionCheck heartbeats to each upstream platform (0 = none).',
  },
  {
    name: 'DALABA_UPSTREAM_STATUS_EVERY',
    default: '900',
    secret: false,
    description:
      'Seconds between terminal-status and online-rate reports to each upstream platform (0 = only when asked).',
  },
  {
    name: 'DALABA_UPSTREAM_SIGNING_KEY',
    default: 'generated into <data dir>/keys/upstream-signing.json',
    secret: true,
    description: 'Our SM2 private key for upstream reports (64 hex digits); needs DALABA_UPSTREAM_CERT_SN.',
  },
  {
    name: 'DALABA_UPSTREAM_CERT_SN',
    default: '(with the key)',
    secret: false,
    description: 'Serial of the certificate of DALABA_UPSTREAM_SIGNING_KEY, as the upstream platform registered it.',
  },
  {
    name: 'DALABA_CAP_FEEDS',
    default: '(none)',
    secret: false,
    description: 'Comma list of Atom/RSS feed URLs of CAP 1.2 alerts to poll.',
  },
  { name: 'DALABA_CAP_POLL', default: '60', secret: false, description: 'Seconds between two polls of each CAP feed.' },
  {
    name: 'DALABA_DEMO_SIM_PORT',
    default: '15020',
    secret: false,
    description: 'Demo only: first TCP port of the simulated county (gateway i on port + i).',
  },
  {
    name: 'DALABA_AUDIT_KEY',
    default: 'generated into <data dir>/keys/audit-hmac',
    secret: true,
    description:
      "Key of the audit chain's HMAC (at least 32 characters); keep it away from the database and its backups.",
  },
  {
    name: 'DALABA_AUDIT_CHECKPOINT_EVERY',
    default: '100',
    secret: false,
    description:
      'A signed checkpoint of the audit chain is written to <data dir>/keys/audit-checkpoints.jsonl every this many entries (and at shutdown and after each clean verify).',
  },
  {
    name: 'DALABA_ALLOWED_ORIGINS',
    default: '(same origin only)',
    secret: false,
    description:
      "Comma-separated origins (https://host:port) besides the server's own whose pages may open the live Socket.IO channel.",
  },
  {
    name: 'DALABA_CLUSTER',
    default: 'off',
    secret: false,
    description:
      'on: several instances share one MySQL/MariaDB database, each bus and each singleton task leased to one of them (docs/cluster.md); off: one instance owns every bus.',
  },
  {
    name: 'DALABA_LEASE_MS',
    default: '4000',
    secret: false,
    description:
      'Term of a bus or singleton lease, ms (1000–60000), renewed every third of it; another instance takes over at most this long after one stops.',
  },
  {
    name: 'DALABA_INSTANCE_ID',
    default: '<host name>-<process id>',
    secret: false,
    description:
      "This instance's name in the cluster (letters, digits, . _ : -, at most 64), unique among the instances.",
  },
  {
    name: 'DALABA_REDIS_URL',
    default: '(none)',
    secret: true,
    description:
      'redis://host:6379 (or rediss://): instances share their /live changes through Redis, so a console on any instance sees every change of its scope (docs/cluster.md); unset: no Redis, each instance alone.',
  },
  {
    name: 'DALABA_REDIS_PREFIX',
    default: 'dalaba',
    secret: false,
    description:
      'Prefix of the Redis streams, channels and keys (letters, digits, . _ : -, at most 64); clusters sharing one Redis need different ones.',
  },
  {
    name: 'DALABA_DEMO_FAULTS',
    default: 'on',
    secret: false,
    description: 'Demo only: simulated terminals and gateways fail and recover now and then.',
  },
];
