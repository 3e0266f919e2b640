/**
 * The silent self-test (PROTOCOL.md §3.3, §4.2 code 8): the checks a command may ask for, and the result block —
 * one FC03 read of 12 registers at 0x0140 — with each check's verdict and measured value.
 */
import { REGISTERS, UNKNOWN_U16 } from './registers';
import { checkRange, expectCount, splitU32, TerminalCodecError, u32 } from './words';

/** The checks, in the order of their bit in the command's `checks` byte and of their registers (§3.3). */
export const SELF_TEST_CHECKS = ['amplifier', 'speakerLine', 'supply', 'battery'] as const;
export type SelfTestCheck = (typeof SELF_TEST_CHECKS)[number];
/** Every check: the `checks` byte 0x0F. */
export const ALL_SELF_TEST_CHECKS = 0x0f;

/** Result block reg 1 (§3.3). */
export const SELF_TEST_STATES = ['none', 'running', 'done', 'aborted'] as const;
export type SelfTestState = (typeof SELF_TEST_STATES)[number];

/**
 * Verdict codes of regs 4–7 (§3.3): 0 not tested and 1 passed for every check, then per check. 'not-fitted' (a
 * terminal without a battery) is not a failure.
 */
export const SELF_TEST_VERDICTS = {
  amplifier: ['not-tested', 'ok', 'output-low', 'no-output'],
  speakerLine: ['not-tested', 'ok', 'open', 'short'],
  supply: ['not-tested', 'ok', 'low', 'mains-lost'],
  battery: ['not-tested', 'ok', 'low', 'not-fitted'],
} as const;
export type SelfTestVerdict<C extends SelfTestCheck = SelfTestCheck> = (typeof SELF_TEST_VERDICTS)[C][number];

/** Verdicts that are not a fault of the terminal. */
export const SELF_TEST_PASSING: readonly string[] = ['not-tested', 'ok', 'not-fitted'];

export interface SelfTestCheckResult<C extends SelfTestCheck = SelfTestCheck> {
  verdict: SelfTestVerdict<C>;
  /**
   * Measured value, null unknown: amplifier output V rms into the test load, speaker line impedance Ω (65,534 =
   * above range: open), supply V, battery V.
   */
  value: number | null;
}

export interface SelfTestRecord {
  /** The command's test id, 0 when no test has run since the terminal started. */
  testId: number;
  state: SelfTestState;
  /** UTC seconds on the terminal's clock when the test ended; 0 while running, never run or the clock unknown. */
  finishedAtSeconds: number;
  checks: { [C in SelfTestCheck]: SelfTestCheckResult<C> };
}

/** Bit of a check in the command's `checks` byte (§4.2). */
export function selfTestCheckBit(check: SelfTestCheck): number {
  return 1 << SELF_TEST_CHECKS.indexOf(check);
}

/** Measured values are stored ×10 (volts, 0.1 V) except the line impedance (whole ohms). */
const SCALE: Record<SelfTestCheck, number> = { amplifier: 10, speakerLine: 1, supply: 10, battery: 10 };

export function encodeSelfTest(r: SelfTestRecord): number[] {
  const regs = [
    checkRange(r.testId, 0, 0xffff, 'selfTest.testId'),
    SELF_TEST_STATES.indexOf(r.state),
    ...splitU32(r.finishedAtSeconds, 'selfTest.finishedAtSeconds'),
  ];
  if (regs[1] < 0) throw new TerminalCodecError('selfTest.state', `unknown state "${String(r.state)}"`);
  for (const c of SELF_TEST_CHECKS) {
    const code = (SELF_TEST_VERDICTS[c] as readonly string[]).indexOf(r.checks[c].verdict);
    if (code < 0) throw new TerminalCodecError(`selfTest.${c}`, `unknown verdict "${r.checks[c].verdict}"`);
    regs.push(code);
  }
  for (const c of SELF_TEST_CHECKS) {
    const v = r.checks[c].value;
    regs.push(v === null ? UNKNOWN_U16 : checkRange(Math.round(v * SCALE[c]), 0, 0xfffe, `selfTest.${c}.value`));
  }
  expectCount(regs, REGISTERS.selfTest.count, 'selfTest');
  return regs;
}

export function decodeSelfTest(regs: readonly number[]): SelfTestRecord {
  expectCount(regs, REGISTERS.selfTest.count, 'selfTest');
  const state = SELF_TEST_STATES[regs[1]];
  if (state === undefined) throw new TerminalCodecError('selfTest.state', `unknown state ${regs[1]}`);
  const check = <C extends SelfTestCheck>(c: C, i: number): SelfTestCheckResult<C> => {
    const verdict = SELF_TEST_VERDICTS[c][regs[4 + i]] as SelfTestVerdict<C> | undefined;
    if (verdict === undefined) throw new TerminalCodecError(`selfTest.${c}`, `unknown verdict ${regs[4 + i]}`);
    const raw = regs[8 + i];
    return { verdict, value: raw === UNKNOWN_U16 ? null : raw / SCALE[c] };
  };
  return {
    testId: regs[0],
    state,
    finishedAtSeconds: u32(regs, 2),
    checks: {
      amplifier: check('amplifier', 0),
      speakerLine: check('speakerLine', 1),
      supply: check('supply', 2),
      battery: check('battery', 3),
    },
  };
}

/** The checks named by a `checks` byte (1–15). */
export function selfTestChecksOf(bits: number): SelfTestCheck[] {
  return SELF_TEST_CHECKS.filter((c) => (bits & selfTestCheckBit(c)) !== 0);
}
