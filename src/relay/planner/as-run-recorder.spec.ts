/**
 * The as-run recorder on a fake dispatch: when a terminal's start counts as on the synchronised second, and an
 * interruption told twice stays one.
 */
import { Subject } from 'rxjs';
import { Clock, type TimerHandle } from '../../common/clock';
import type { BroadcastProgress, DispatchService } from '../../dispatch/dispatch.service';
import type { AsRunService, AsRunSlot } from '../as-run.service';
import type { PublishedRevision } from '../relay.entities';
import { AsRunRecorder } from './as-run-recorder';
import type { SlotRunEntity } from './slot-run.entity';
import type { SlotRunRepository } from './slot-run.repository';

const START = Date.UTC(2026, 11, 7, 4, 0, 0);
const B = 'R-1';

class StepClock extends Clock {
  at = START - 5000;
  now(): number {
    return this.at;
  }
  setTimeout(): TimerHandle {
    return { cancel: () => undefined };
  }
}

function setup() {
  const clock = new StepClock();
  const progress = new Subject<BroadcastProgress>();
  const sent = new Map<number, number>();
  const dispatch = {
    progress,
    startTimeOf: (id: string) => (id === B ? START : null),
    startSentAt: (_id: string, t: number) => sent.get(t) ?? null,
  } as unknown as DispatchService;
  const log: string[] = [];
  const iso = (d: Date | null) => (d ? new Date(d).getTime() - START : null);
  const asRun = {
    recordStart: async (s: AsRunSlot, at: Date) => void log.push(`${s.terminalId} start ${iso(at)}`),
    recordEnd: async (s: AsRunSlot, at: Date) => void log.push(`${s.terminalId} end ${iso(at)}`),
    recordInterruption: async (s: AsRunSlot, cause: string, from: Date, to: Date | null) =>
      void log.push(`${s.terminalId} ${cause} ${iso(from)}–${iso(to)}`),
  } as unknown as AsRunService;
  const repo = {
    preemptor: async () => ({ broadcastId: 'A-9', alertId: 9 }),
  } as unknown as SlotRunRepository;
  const recorder = new AsRunRecorder(dispatch, asRun, repo, clock);
  recorder.onModuleInit();
  const run = {
    broadcastId: B,
    scheduleId: 1,
    plannedStart: new Date(START),
    plannedEnd: new Date(START + 60_000),
    terminalIds: [1, 2, 3],
  } as SlotRunEntity;
  recorder.track(run, { source: { kind: 'fm', frequency: 9530 } } as PublishedRevision['programme']);
  const tell = async (terminalId: number, state: string, at: number) => {
    clock.at = at;
    progress.next({
      broadcastId: B,
      alertId: 0,
      drill: false,
      state: 'running',
      counts: {},
      changes: [{ terminalId, areaCode: '', state, reason: null }],
    } as unknown as BroadcastProgress);
    await recorder.settled();
  };
  return { recorder, sent, log, tell };
}

describe('AsRunRecorder', () => {
  it('puts a start that went out before the synchronised second on it, and a later one when it went out', async () => {
    const { sent, log, tell } = setup();
    sent.set(1, START - 800);
    await tell(1, 'playing', START - 300);
    sent.set(2, START + 200);
    await tell(2, 'playing', START + 700);
    expect(log).toEqual(['1 start 0', '2 start 200']);
  });

  it('without a known send, counts a read within a second of the start as on it', async () => {
    const { log, tell } = setup();
    await tell(1, 'playing', START + 900);
    await tell(2, 'playing', START + 1500);
    expect(log).toEqual(['1 start 0', '2 start 1500']);
  });

  it('keeps one interruption when a preemption is told twice, and closes it when the terminal is back', async () => {
    const { sent, log, tell } = setup();
    sent.set(1, START - 800);
    await tell(1, 'playing', START);
    await tell(1, 'preempted', START + 10_000);
    await tell(1, 'preempted', START + 12_000);
    await tell(1, 'playing', START + 30_000);
    expect(log).toEqual([
      '1 start 0',
      '1 preempted by alert 9 (broadcast A-9) 10000–null',
      '1 preempted by alert 9 (broadcast A-9) 10000–30000',
    ]);
  });
});
