/**
 * Terminals stored after their bus's synchronised start went out: those the first transfer round could not reach
 * (tried again a few times before they are called unreachable), and those found without a clip they were believed to
 * hold. Each one stored is started on its own once its bus's start has gone out (it may have heard that one already).
 */
import { transferWithRetries } from '../bus-plan';
import type { BusStart } from './bus-start';
import { transferLink } from './in-doubt';
import type { ClipVariant } from './run-context';
import type { RunState } from './run-state';
import { recordRound, type LateTransfer } from './run-transfers';

export class LateStarts {
  constructor(
    private readonly run: RunState,
    private readonly busStart: () => BusStart,
  ) {}

  /** The retries of the terminals the first round could not reach; each one stored is started after `busStarted`. */
  async retry(l: LateTransfer, busStarted: Promise<void>): Promise<void> {
    const round = recordRound(this.run, l.clip);
    await l.retry(this.run.transferPriority().retry, this.run.ctx.clock, async (out, last) => {
      await round(out, last);
      if (out.ready.length === 0) return;
      await busStarted;
      this.run.checkpoint();
      await this.busStart().start(l.gatewayId, this.run.rowsOf(out.ready), l.clip, 0, true);
    });
  }

  /** Terminals without the clip while the others start: transferred (with retries), then started on their own after `after`. */
  async storeAndStart(
    gatewayId: number,
    terminalIds: number[],
    clip: ClipVariant,
    after: Promise<void> = Promise.resolve(),
  ): Promise<void> {
    const run = this.run;
    const { retry } = run.transferPriority();
    const round = recordRound(run, clip);
    await transferWithRetries(
      transferLink(run, gatewayId),
      terminalIds,
      clip,
      retry,
      retry,
      run.ctx.policy.backoffMs,
      run.ctx.clock,
      async (out, last) => {
        await round(out, last);
        if (out.ready.length === 0) return;
        await after;
        run.checkpoint();
        await this.busStart().start(gatewayId, run.rowsOf(out.ready), clip, 0, true);
      },
    );
  }
}
