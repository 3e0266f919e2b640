/**
 * What the BusScheduler specs share (scheduler-*.spec.ts): a connection that can be lost, a manual clock moved from
 * timer to timer, a scheduler on a village bus with a transaction that takes a set time on the wire, and the kind of
 * BusError a request ended with.
 */
import { BusError } from '../terminal-bus';
import { ManualClock } from '../transport/clock';
import type { BusConnection } from './connection';
import { BusScheduler, type BusSchedulerOptions } from './scheduler';

export class FakeLink implements BusConnection {
  private closers: ((reason: string) => void)[] = [];
  closed = false;
  onClose(fn: (reason: string) => void): void {
    this.closers.push(fn);
  }
  close(): void {
    this.lose('closed by us');
  }
  lose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closers.forEach((fn) => fn(reason));
  }
}

/** Lets promise callbacks run (no time passes). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Moves the manual clock to each due timer in turn, letting promise callbacks run between them. */
export async function advance(clock: ManualClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await flush();
  for (;;) {
    const due = clock.nextDueAt();
    if (due === null || due > end) break;
    clock.advance(due - clock.now());
    await flush();
  }
  clock.advance(end - clock.now());
  await flush();
}

export function setup(opts: Partial<BusSchedulerOptions<FakeLink>> = {}) {
  const clock = new ManualClock(0);
  const links: FakeLink[] = [];
  const bus = new BusScheduler<FakeLink>({
    busId: 'village-7',
    clock,
    connect: () => {
      const l = new FakeLink();
      links.push(l);
      return Promise.resolve(l);
    },
    timeoutMs: 300,
    ...opts,
  });
  const log: string[] = [];
  /** A transaction that takes `ms` on the wire and records when it starts. */
  const work = (name: string, ms: number) => () =>
    new Promise<string>((resolve) => {
      log.push(`${name}@${clock.now()}`);
      clock.setTimeout(() => resolve(name), ms);
    });
  return { clock, bus, links, log, work };
}

export const kindOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof BusError ? e.kind : `other: ${String(e)}`),
  );
