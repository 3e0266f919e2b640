#!/usr/bin/env node
// `npm test`: says which suites cannot run on this machine and why, runs Jest (unit and integration projects) with
// its normal output, then prints one closing line `tests: N passed, N failed, N skipped` and exits with Jest's status.
// Extra arguments go to Jest (e.g. `npm test -- test/foundation`).
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function onPath(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Same checks as test/support/capabilities.ts, said before Jest starts: one line each, what is missing and how to
// enable it. Audio suites are not among them: ffmpeg, ffprobe and espeak-ng come from npm packages.
const notRun = [];
if (!process.env.TEST_MYSQL_URL) {
  notRun.push(
    'MariaDB suites: TEST_MYSQL_URL is not set; they run on SQLite only (enable: TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/dalaba_test)',
  );
}
if (!process.env.TEST_REDIS_URL) {
  notRun.push(
    '/live across instances through Redis: TEST_REDIS_URL is not set (enable: TEST_REDIS_URL=redis://127.0.0.1:6379)',
  );
}
if (!onPath('redis-server'))
  notRun.push('/live across a Redis restart: redis-server is not installed (enable: apt-get install -y redis-server)');
if (!onPath('socat')) notRun.push('serial-pair suites: socat is not installed (enable: apt-get install -y socat)');
if (!onPath('chromium'))
  notRun.push('console browser suites: chromium is not installed (enable: apt-get install -y chromium)');
if (!onPath('mbpoll'))
  notRun.push('terminal register map checked with mbpoll: mbpoll is not installed (enable: apt-get install -y mbpoll)');
const pymodbus = ['python3', '/usr/bin/python3'].some((python) => {
  try {
    execFileSync(python, ['-c', 'import pymodbus.client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!pymodbus)
  notRun.push(
    'terminal register map checked with pymodbus: pymodbus is not installed (enable: apt-get install -y python3-pymodbus)',
  );
if (!onPath('openssl'))
  notRun.push('signature cross-check with openssl: openssl is not installed (enable: apt-get install -y openssl)');

if (notRun.length === 0) {
  console.log(
    'All suites can run here (MariaDB, Redis, socat, openssl, chromium, mbpoll, pymodbus present; audio tools come from npm).',
  );
} else {
  console.log('Suites that will NOT run here:');
  for (const line of notRun) console.log(`  - ${line}`);
}
console.log('');

const dir = mkdtempSync(join(tmpdir(), 'dalaba-jest-'));
const outputFile = join(dir, 'results.json');
const jestBin = require.resolve('jest/bin/jest');
const result = spawnSync(
  process.execPath,
  [jestBin, '--json', `--outputFile=${outputFile}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: process.env,
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(outputFile, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  skipped = r.numPendingTests + (r.numTodoTests || 0);
} catch {
  failed = Math.max(failed, 1);
  console.log('\n(Jest produced no results file: it did not run to the end)');
}
rmSync(dir, { recursive: true, force: true });

if (notRun.length > 0) {
  console.log('\nSkipped here:');
  for (const line of notRun) console.log(`  - ${line}`);
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
const status = result.status ?? 1;
process.exit(status === 0 && failed > 0 ? 1 : status);
