/**
 * Active alarms with hysteresis, acknowledgement and reminders. A cause becomes an alarm only after it has held for
 * `raiseAfterMs`, and an alarm clears only after its cause has been absent for `clearAfterMs`, so a flapping terminal
 * shows once (with its flap count) instead of a storm. Unacknowledged alarms remind every `remindEveryMs`.
 * Pure: evaluate(causes, at) returns the events to publish and persist.
 */
import type { AlarmCause } from './alarm-causes';

export interface AlarmPolicy {
  raiseAfterMs: number;
  clearAfterMs: number;
  remindEveryMs: number;
}

export const DEFAULT_ALARM_POLICY: AlarmPolicy = { raiseAfterMs: 0, clearAfterMs: 30_000, remindEveryMs: 30 * 60_000 };

export interface Alarm extends AlarmCause {
  raisedAt: number;
  /** Times the cause went away and came back while the alarm was active. */
  flaps: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  lastRemindedAt: number;
}

export type AlarmEvent =
  | { type: 'raised'; alarm: Alarm; at: number }
  | { type: 'cleared'; alarm: Alarm; at: number }
  | { type: 'reminder'; alarm: Alarm; at: number }
  | { type: 'acknowledged'; alarm: Alarm; at: number };

interface Pending {
  cause: AlarmCause;
  firstSeen: number;
}

export class AlarmBook {
  private readonly active = new Map<string, Alarm & { absentSince: number | null }>();
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly policy: AlarmPolicy = DEFAULT_ALARM_POLICY) {}

  list(): Alarm[] {
    return [...this.active.values()].map(({ absentSince: _absent, ...alarm }) => alarm);
  }

  /**
   * `holdBack`: alarms kept as they are while their cause is absent (neither counted absent nor cleared), e.g. alarms
   * adopted from another instance with a bus that has not been polled here yet.
   */
  evaluate(causes: AlarmCause[], at: number, holdBack: ReadonlySet<string> = new Set()): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    const present = new Map(causes.map((c) => [c.key, c]));
    for (const [key, alarm] of this.active) {
      const cause = present.get(key);
      if (cause) {
        if (alarm.absentSince !== null) alarm.flaps += 1;
        alarm.absentSince = null;
        alarm.terminalIds = cause.terminalIds;
        if (alarm.acknowledgedAt === null && at - alarm.lastRemindedAt >= this.policy.remindEveryMs) {
          alarm.lastRemindedAt = at;
          events.push({ type: 'reminder', alarm: this.view(alarm), at });
        }
      } else if (holdBack.has(key)) {
        alarm.absentSince = null;
      } else {
        alarm.absentSince ??= at;
        if (at - alarm.absentSince >= this.policy.clearAfterMs) {
          this.active.delete(key);
          events.push({ type: 'cleared', alarm: this.view(alarm), at });
        }
      }
    }
    for (const key of this.pending.keys()) if (!present.has(key)) this.pending.delete(key);
    for (const cause of causes) {
      if (this.active.has(cause.key)) continue;
      const pending = this.pending.get(cause.key) ?? { cause, firstSeen: at };
      this.pending.set(cause.key, pending);
      if (at - pending.firstSeen < this.policy.raiseAfterMs) continue;
      this.pending.delete(cause.key);
      const alarm = {
        ...cause,
        raisedAt: at,
        flaps: 0,
        acknowledgedBy: null,
        acknowledgedAt: null,
        lastRemindedAt: at,
        absentSince: null,
      };
      this.active.set(cause.key, alarm);
      events.push({ type: 'raised', alarm: this.view(alarm), at });
    }
    return events;
  }

  /** Takes back an alarm that was active before a restart; it clears as usual once its cause stays away. */
  restore(alarm: Alarm): void {
    this.active.set(alarm.key, { ...alarm, terminalIds: [...alarm.terminalIds], absentSince: null });
  }

  /** Lets an active alarm go from memory without an event (its row stays as it is: another instance takes it up). */
  forget(key: string): void {
    this.active.delete(key);
    this.pending.delete(key);
  }

  get(key: string): Alarm | undefined {
    const alarm = this.active.get(key);
    return alarm ? this.view(alarm) : undefined;
  }

  acknowledge(key: string, by: string, at: number): AlarmEvent | null {
    const alarm = this.active.get(key);
    if (!alarm || alarm.acknowledgedAt !== null) return null;
    alarm.acknowledgedBy = by;
    alarm.acknowledgedAt = at;
    return { type: 'acknowledged', alarm: this.view(alarm), at };
  }

  private view(a: Alarm & { absentSince: number | null }): Alarm {
    const { absentSince: _absent, ...alarm } = a;
    return { ...alarm, terminalIds: [...alarm.terminalIds] };
  }
}
