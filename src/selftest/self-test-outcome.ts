/**
 * What one self-test came to (docs/self-test.md): from the terminal's answers — its refusal of the command, or the
 * result block it reported (terminal-modbus PROTOCOL.md §3.3) — to an outcome, its checks, and the faults that become
 * alarms. Pure.
 */
import {
  SELF_TEST_CHECKS,
  SELF_TEST_PASSING,
  TERMINAL_EXCEPTIONS,
  type SelfTestCheck,
  type SelfTestRecord,
} from '../../firmware-protocols/terminal-modbus';
import type { AlarmCause } from '../monitoring/alarm-causes';
import type { FieldFailure, RequestFailureKind } from '../field/field-port';

export const SELF_TEST_OUTCOMES = [
  'passed',
  'failed',
  'not-supported',
  'busy',
  'aborted',
  'refused',
  'no-answer',
] as const;
export type SelfTestOutcome = (typeof SELF_TEST_OUTCOMES)[number];

/** Outcomes where the test ran to its end: the others, except not-supported, are a missed test. */
export const RAN: readonly SelfTestOutcome[] = ['passed', 'failed'];

export type SelfTestChecks = SelfTestRecord['checks'];

/** The terminal's refusal of the command (or the read of its block) as an outcome; null when it is not a refusal. */
export function refusalOutcome(f: FieldFailure<RequestFailureKind>): SelfTestOutcome {
  if (f.kind === 'refused' || f.kind === 'exception') {
    // §3.3: a terminal without the self-test does not know code 8 (0x03) nor the block (0x02)
    if (f.exceptionCode === TERMINAL_EXCEPTIONS.illegalValue || f.exceptionCode === TERMINAL_EXCEPTIONS.illegalAddress)
      return 'not-supported';
    if (f.exceptionCode === TERMINAL_EXCEPTIONS.priority) return 'busy';
    return 'refused';
  }
  // not sent: a broadcast start to the terminal is not verified yet (src/field/signing-guard.ts)
  if (f.kind === 'start-in-doubt') return 'busy';
  return 'no-answer';
}

/** The outcome of a result block read back for test `testId`; null while it still runs. */
export function resultOutcome(r: SelfTestRecord, testId: number): SelfTestOutcome | null {
  // another id, or none: the terminal restarted (or took another controller's test) and lost ours
  if (r.testId !== testId || r.state === 'none') return 'no-answer';
  if (r.state === 'running') return null;
  if (r.state === 'aborted') return 'aborted';
  return failedChecks(r.checks).length ? 'failed' : 'passed';
}

export function failedChecks(checks: SelfTestChecks): SelfTestCheck[] {
  return SELF_TEST_CHECKS.filter((c) => !SELF_TEST_PASSING.includes(checks[c].verdict));
}

/**
 * The alarm fault key of a failed check: the domain's fault keys where one exists (firmware-protocols/codes FAULTS),
 * so the console names them as it names the status faults.
 */
export function faultKey(check: SelfTestCheck, verdict: string): string {
  switch (`${check}:${verdict}`) {
    case 'amplifier:output-low':
    case 'amplifier:no-output':
      return 'amplifierOutputLow';
    case 'speakerLine:open':
      return 'speakerLineOpen';
    case 'speakerLine:short':
      return 'speakerLineShort';
    case 'supply:mains-lost':
      return 'mainsLost';
    case 'supply:low':
      return 'supplyLow';
    case 'battery:low':
      return 'batteryLow';
    default:
      return `${check}-${verdict}`;
  }
}

/** A terminal whose last silent self-test failed. */
export interface FailedTest {
  terminalId: number;
  areaCode: string;
  gatewayId: number;
  checks: SelfTestChecks;
}

/** One alarm per terminal and failed check, kind `self-test`, until a later test passes. */
export function selfTestCauses(failed: Iterable<FailedTest>): AlarmCause[] {
  const causes: AlarmCause[] = [];
  for (const f of failed)
    for (const check of failedChecks(f.checks)) {
      const fault = faultKey(check, f.checks[check].verdict);
      causes.push({
        key: `self-test:terminal:${f.terminalId}:${fault}`,
        kind: 'self-test',
        areaCode: f.areaCode,
        gatewayId: f.gatewayId,
        terminalId: f.terminalId,
        fault,
        terminalIds: [f.terminalId],
      });
    }
  return causes;
}
