/**
 * No signed command to a terminal whose broadcast start is in doubt (docs/alerts-and-dispatch.md, "Crash safety"): a
 * start sent, or recorded as sent by an earlier process or the previous holder of the bus, and not verified yet. Such
 * a terminal, idle again after a short tone, is told from one that never took the start by its last accepted
 * sequence alone; any command signed to it before the dispatch engine has read it (a held-schedule write, a self-test,
 * a test tone, a tone's prepare) moves that sequence past the start, and the terminal would be started a second time.
 * The dispatch engine reads those terminals itself and says so (`RequestOptions.startsRead`); every other signed
 * command — to one terminal, to a whole bus, a clip's prepare — is refused for them with kind `start-in-doubt`, and
 * its caller tries again later. Which terminals are in doubt, the dispatch engine answers (`StartsInDoubt`) from the
 * delivery rows, so the answer holds across restarts and instances.
 */
import { FieldError } from './field-port';

export interface StartsInDoubt {
  /** Of these terminals, those with a broadcast start in doubt. */
  among(terminalIds: number[]): Promise<Set<number>>;
}

export const START_IN_DOUBT = 'start-in-doubt';

export class SigningGuard {
  private source: StartsInDoubt | null = null;

  use(source: StartsInDoubt): void {
    this.source = source;
  }

  /** Of these terminals, those no signed command may go to now (none without a dispatch engine, or when it says so). */
  async inDoubt(terminalIds: number[], opts: { startsRead?: boolean } = {}): Promise<Set<number>> {
    if (opts.startsRead || !this.source || terminalIds.length === 0) return new Set();
    return this.source.among(terminalIds);
  }

  /**
   * `send` once none of these terminals has a start in doubt (else the refusal). Called at once when nothing needs
   * checking: the dispatch engine's requests are queued in the order they came.
   */
  gate<T>(
    terminalIds: number[],
    where: { busId: string; unit: number | null; operation: string },
    opts: { startsRead?: boolean },
    send: () => Promise<T>,
  ): Promise<T> {
    if (opts.startsRead || !this.source) return send();
    return this.check(terminalIds, where).then(send);
  }

  /** Throws for a command that would reach one of these terminals while its start is in doubt. */
  async check(
    terminalIds: number[],
    where: { busId: string; unit: number | null; operation: string },
    opts: { startsRead?: boolean } = {},
  ): Promise<void> {
    const doubt = await this.inDoubt(terminalIds, opts);
    if (doubt.size === 0) return;
    const ids = [...doubt].sort((a, b) => a - b);
    const whom = ids.length === 1 ? `terminal ${ids[0]}` : `terminals ${ids.join(', ')}`;
    throw new FieldError(
      {
        kind: START_IN_DOUBT,
        exceptionCode: null,
        message: `${where.busId}${where.unit === null ? '' : ` unit ${where.unit}`} ${where.operation}: not sent, a broadcast start to ${whom} is not verified yet (try again once it is)`,
      },
      where.busId,
      where.unit,
      where.operation,
    );
  }
}
