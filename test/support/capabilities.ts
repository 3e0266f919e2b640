/**
 * What the machine offers to the integration suites, decided once per process. A suite that needs something the
 * machine lacks is registered as one skipped test whose name says what was not run and why, so `npm test` passes on
 * a bare machine and says so plainly (test/run-tests.js prints the same list before Jest starts).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** The browser the console suites drive through playwright-core: Debian's `chromium` package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type Capability = 'mysql' | 'socat' | 'ffmpeg' | 'espeak-ng' | 'openssl' | 'chromium';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<Capability, string | null>();

/** null when available, else the reason it is not. */
export function missing(cap: Capability): string | null {
  if (cache.has(cap)) return cache.get(cap) ?? null;
  let reason: string | null = null;
  switch (cap) {
    case 'mysql':
      reason = process.env.TEST_MYSQL_URL ? null : 'TEST_MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/dalaba_test)';
      break;
    case 'socat':
    case 'ffmpeg':
    case 'openssl':
      reason = onPath(cap) ? null : `${cap} is not installed (apt-get install -y ${cap})`;
      break;
    case 'chromium':
      reason = executable(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} is not installed (apt-get install -y chromium)`;
      break;
    case 'espeak-ng':
      reason = onPath('espeak-ng') ? null : 'espeak-ng is not installed (apt-get install -y espeak-ng)';
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
