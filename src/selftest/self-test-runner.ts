/**
 * One silent self-test of one terminal through the field (docs/self-test.md): the signed command (PROTOCOL.md §4.2
 * code 8) at the transfer class (after commands and emergencies, before the sweep's polls), then the result block (§3.3) read until the test is done, each request bounded by a
 * deadline. Every way it can end is an outcome, never an exception: refused while playing (busy), cut short by a play
 * (aborted), older firmware (not-supported), silence (no-answer).
 */
import {
  ALL_SELF_TEST_CHECKS,
  decodeSelfTest,
  REGISTERS,
  TerminalCodecError,
} from '../../firmware-protocols/terminal-modbus';
import type { Clock } from '../common/clock';
import { failureOf, type FieldCommands } from '../field/field-commands';
import { refusalOutcome, resultOutcome, type SelfTestChecks, type SelfTestOutcome } from './self-test-outcome';

/** The first read of the result block comes this long after the command (the simulator's test takes 3 s). */
export const FIRST_READ_MS = 4000;
/** Then again this often while it runs … */
export const READ_AGAIN_MS = 2000;
/** … until this long after the command: PROTOCOL.md §3.3 lets a test take 10 s; state 1 after 15 s is no answer. */
export const GIVE_UP_MS = 15_000;
/** One request may wait this long for its bus. */
const REQUEST_DEADLINE_MS = 10_000;

export interface TestTarget {
  terminalId: number;
  areaCode: string;
  gatewayId: number;
}

export interface TestRun {
  testId: number;
  startedAt: number;
  finishedAt: number;
  outcome: SelfTestOutcome;
  checks: SelfTestChecks | null;
  detail: string | null;
}

export class SelfTestRunner {
  private lastId: number;

  constructor(
    private readonly field: FieldCommands,
    private readonly clock: Clock,
    /** Resolves true after ms, or false at once when the owner stops (its sleeps are cancelled at shutdown). */
    private readonly sleep: (ms: number) => Promise<boolean>,
  ) {
    this.lastId = Math.floor(clock.now() / 1000) % 0xffff;
  }

  async run(t: TestTarget): Promise<TestRun> {
    const startedAt = this.clock.now();
    this.lastId = (this.lastId % 0xffff) + 1;
    const testId = this.lastId;
    const end = (outcome: SelfTestOutcome, checks: SelfTestChecks | null, detail: string | null): TestRun => ({
      testId,
      startedAt,
      finishedAt: this.clock.now(),
      outcome,
      checks,
      detail: detail?.slice(0, 200) ?? null,
    });
    if (this.field.openGateways().find((g) => g.gatewayId === t.gatewayId)?.family === 'adapter')
      return end('not-supported', null, 'the adapter protocol has no self-test');
    try {
      await this.field.command(
        t.terminalId,
        { code: 'self-test', testId, checks: ALL_SELF_TEST_CHECKS },
        { priority: 'transfer', deadline: startedAt + REQUEST_DEADLINE_MS },
      );
    } catch (e) {
      const f = failureOf(e);
      return end(refusalOutcome(f), null, f.message);
    }
    const stopping = (): TestRun => end('no-answer', null, `the server stopped during test ${testId}`);
    if (!(await this.sleep(FIRST_READ_MS))) return stopping();
    for (;;) {
      const read = await this.readResult(t.terminalId, testId);
      if ('outcome' in read) return end(read.outcome, read.checks, read.detail);
      if (this.clock.now() - startedAt >= GIVE_UP_MS)
        return end('no-answer', null, `test ${testId} still running ${GIVE_UP_MS / 1000} s after the command`);
      if (!(await this.sleep(READ_AGAIN_MS))) return stopping();
    }
  }

  private async readResult(
    terminalId: number,
    testId: number,
  ): Promise<{ outcome: SelfTestOutcome; checks: SelfTestChecks | null; detail: string | null } | { running: true }> {
    const B = REGISTERS.selfTest;
    try {
      const regs = await this.field.readRegisters(terminalId, B.address, B.count, {
        priority: 'transfer',
        deadline: this.clock.now() + REQUEST_DEADLINE_MS,
      });
      const r = decodeSelfTest(regs);
      const outcome = resultOutcome(r, testId);
      if (outcome === null) return { running: true };
      const detail =
        outcome === 'no-answer'
          ? `the terminal reports test ${r.testId} (${r.state}), not ${testId}: it restarted`
          : outcome === 'aborted'
            ? 'a play cut the test short'
            : null;
      return { outcome, checks: outcome === 'passed' || outcome === 'failed' ? r.checks : null, detail };
    } catch (e) {
      if (e instanceof TerminalCodecError)
        return { outcome: 'no-answer', checks: null, detail: `bad result block: ${e.message}` };
      const f = failureOf(e);
      return { outcome: refusalOutcome(f), checks: null, detail: f.message };
    }
  }
}
