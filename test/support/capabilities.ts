/**
 * What the machine offers to the integration suites, decided once per process. A suite that needs something the
 * machine lacks is registered as one skipped test whose name says what was not run and why, so `npm test` passes on
 * a bare machine and says so plainly (test/run-tests.js prints the same list before Jest starts). Audio needs nothing
 * from the machine: ffmpeg, ffprobe and espeak-ng come from npm packages (src/audio/media/tool-resolution.ts).
 */
import { execFileSync } from 'node:child_process';

function onPath(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** The browser the console suites drive through playwright-core: Debian's `chromium` package (/usr/bin/chromium), found on PATH. */
const chromiumOnPath = onPath('chromium');
export const CHROMIUM_PATH = chromiumOnPath ?? '/usr/bin/chromium';

/**
 * A Python 3 that imports pymodbus (Debian's python3-pymodbus lives in /usr/bin/python3's path, which a python3
 * earlier on PATH may not share), or null.
 */
function findPymodbusPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import pymodbus.client'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}
let pymodbusPython: string | null | undefined;
/** The interpreter for the 'pymodbus' capability (call after describeWith(['pymodbus'], …) has let the suite run). */
export function pymodbusPythonPath(): string {
  pymodbusPython ??= findPymodbusPython();
  if (pymodbusPython === null) throw new Error('no python3 with pymodbus');
  return pymodbusPython;
}

export type Capability = 'mysql' | 'redis' | 'redis-server' | 'socat' | 'openssl' | 'chromium' | 'pymodbus' | 'mbpoll';

const cache = new Map<Capability, string | null>();

/** null when available, else the reason it is not. */
export function missing(cap: Capability): string | null {
  if (cache.has(cap)) return cache.get(cap) ?? null;
  let reason: string | null = null;
  switch (cap) {
    case 'mysql':
      reason = process.env.TEST_MYSQL_URL
        ? null
        : 'TEST_MYSQL_URL is not set (enable: TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/dalaba_test)';
      break;
    case 'redis':
      reason = process.env.TEST_REDIS_URL
        ? null
        : 'TEST_REDIS_URL is not set (enable: TEST_REDIS_URL=redis://127.0.0.1:6379)';
      break;
    case 'redis-server':
      reason =
        onPath('redis-server') !== null
          ? null
          : 'redis-server is not installed (enable: apt-get install -y redis-server)';
      break;
    case 'socat':
    case 'openssl':
    case 'mbpoll':
      reason = onPath(cap) !== null ? null : `${cap} is not installed (enable: apt-get install -y ${cap})`;
      break;
    case 'pymodbus':
      pymodbusPython ??= findPymodbusPython();
      reason =
        pymodbusPython !== null ? null : 'pymodbus is not installed (enable: apt-get install -y python3-pymodbus)';
      break;
    case 'chromium':
      reason = chromiumOnPath !== null ? null : 'chromium is not installed (enable: apt-get install -y chromium)';
      break;
  }
  cache.set(cap, reason);
  return reason;
}

const skipped = it.skip;

/** describe() when every capability is there; otherwise one skipped test naming what is missing. */
export function describeWith(caps: Capability[], name: string, fn: () => void): void {
  const reasons = caps.map(missing).filter((r): r is string => r !== null);
  if (reasons.length === 0) {
    describe(name, fn);
  } else {
    describe(name, () => skipped(`NOT RUN — ${reasons.join('; ')}`, () => undefined));
  }
}
