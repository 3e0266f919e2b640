/**
 * The safe-broadcast watch (安全播出, docs/relay.md "Watch"): after every pass of the planner, each terminal that
 * plays a slot is judged by its latest swept status (watch-rules.ts). What is wrong becomes an open interruption in the
 * as-run log and an alarm grouped per bus and slot (monitoring's AlarmsService, beside the other causes); where the
 * programme has a fallback source, a main source that fails on a terminal (weak signal; silent, or our broadcast on
 * another source, for FALLBACK_AFTER_MS) switches that terminal to it (a play of the same broadcast with the fallback's
 * source), which the as-run log records as the source it played. A terminal that never started is started late once
 * it is back.
 */
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { BROADCAST_CLASSES } from '../../../firmware-protocols/codes';
import { DispatchService } from '../../dispatch/dispatch.service';
import { startableLate } from '../../dispatch/late-start-rule';
import { FieldCommands } from '../../field/field-commands';
import type { AlarmCause } from '../../monitoring/alarm-causes';
import { AlarmsService } from '../../monitoring/alarms.service';
import { MonitoringService } from '../../monitoring/monitoring.service';
import { AsRunRecorder, type TerminalOnAir, type TrackedSlot } from '../planner/as-run-recorder';
import { RelayPlanner } from '../planner/relay-planner.service';
import { playSource, reportedSource } from '../planner/slot-plan';
import { fallsBack, judge, type WatchFinding } from './watch-rules';

/** A terminal of a slot that never started is tried again at most this often once monitoring sees it back. */
export const LATE_RETRY_MS = 5000;

/** A status read this soon after a terminal started (or switched) may still show what it did before. */
export const WATCH_GRACE_MS = 1500;

interface Problem extends WatchFinding {
  slot: TrackedSlot;
  terminalId: number;
  since: Date;
  cause: string;
}

@Injectable()
export class RelayWatch implements OnModuleInit {
  private readonly log = new Logger('RelayWatch');
  /** By `broadcastId:terminalId`. */
  private readonly problems = new Map<string, Problem>();
  /** When a late start was last asked for, by `broadcastId:terminalId`. */
  private readonly lateTried = new Map<string, number>();

  constructor(
    private readonly planner: RelayPlanner,
    private readonly recorder: AsRunRecorder,
    private readonly monitoring: MonitoringService,
    private readonly alarms: AlarmsService,
    private readonly field: FieldCommands,
    private readonly dispatch: DispatchService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.planner.afterPass.push((now) => this.sweep(now));
    this.alarms.addCauses(() => this.causes());
  }

  /** Judges every terminal that plays a slot now; raises and clears alarms when what is wrong changed. */
  async sweep(now: number): Promise<void> {
    const visited = new Set<string>();
    const weak: { key: string; slot: TrackedSlot; id: number; t: TerminalOnAir }[] = [];
    let changed = false;
    for (const slot of this.recorder.tracked())
      for (const [id, t] of slot.terminals) {
        if (t.state !== 'playing') continue;
        const key = `${slot.run.broadcastId}:${id}`;
        visited.add(key);
        const finding = this.findingOf(slot, id, t);
        if (finding === undefined) continue;
        changed = this.note(key, slot, id, finding, now) || changed;
        const p = this.problems.get(key);
        if (finding && p && fallsBack(finding, p.since.getTime(), now)) weak.push({ key, slot, id, t });
      }
    for (const [key, p] of this.problems) if (!visited.has(key)) changed = this.close(key, p, now) || changed;
    // the alarm is raised before the fallback mends it: a technician sees that the main source failed there
    if (changed) await this.alarms.evaluate(now);
    let switched = false;
    for (const w of weak) switched = (await this.fallBack(w.key, w.slot, w.id, w.t)) || switched;
    if (switched) await this.alarms.evaluate(this.clock.now());
    await this.startLate(now);
  }

  /**
   * A terminal of a slot on air that never started — offline at the start, or taken then by something stronger — is
   * started late for what remains of the slot once monitoring sees it online and nothing at least as strong plays
   * there (docs/relay.md, "Late starts"); the as-run log keeps why it did not start until then. In a cluster a terminal
   * on another instance's bus is neither monitored nor followed here: its late start is asked of its bus's holder,
   * which judges it by its own monitoring (docs/cluster.md, "Requests for the other holders").
   */
  private async startLate(now: number): Promise<void> {
    const live = new Set<string>();
    for (const slot of this.recorder.tracked()) {
      if (now < slot.run.plannedStart.getTime() || now >= slot.run.plannedEnd.getTime() - LATE_RETRY_MS) continue;
      const broadcastId = slot.run.broadcastId;
      const due = (key: string): boolean => (this.lateTried.get(key) ?? -Infinity) + LATE_RETRY_MS <= now;
      const ids: number[] = [];
      for (const [id, t] of slot.terminals) {
        const key = `${broadcastId}:${id}`;
        live.add(key);
        if (t.state !== 'waiting' || !t.cut || !due(key)) continue;
        if (!startableLate(this.monitoring.terminal(id), broadcastId, slot.programme.priority)) continue;
        this.lateTried.set(key, now);
        ids.push(id);
      }
      for (const id of await this.notStartedElsewhere(broadcastId)) {
        const key = `${broadcastId}:${id}`;
        if (!slot.terminals.has(id) || ids.includes(id) || !due(key)) continue;
        this.lateTried.set(key, now);
        ids.push(id);
      }
      if (ids.length > 0)
        void this.dispatch
          .startLate(broadcastId, ids)
          .catch((e: unknown) => this.log.warn(`slot ${broadcastId}: late start: ${(e as Error).message}`));
    }
    for (const key of this.lateTried.keys()) if (!live.has(key)) this.lateTried.delete(key);
  }

  private notStartedElsewhere(broadcastId: string): Promise<number[]> {
    return this.dispatch.notStartedElsewhere(broadcastId).catch((e: unknown) => {
      this.log.warn(`slot ${broadcastId}: terminals of other holders not read: ${(e as Error).message}`);
      return [];
    });
  }

  /** The finding on a terminal's latest status; undefined when there is none recent enough to judge. */
  private findingOf(slot: TrackedSlot, id: number, t: TerminalOnAir): WatchFinding | null | undefined {
    const s = this.monitoring.terminal(id);
    // offline terminals have their own alarm (terminal-offline, bus-down)
    if (!s || !s.online || !s.reading || s.lastSeen === null) return undefined;
    if (s.lastSeen < Math.max(t.since, t.startedAt ?? 0) + WATCH_GRACE_MS) return undefined;
    return judge(s.reading, {
      broadcastId: slot.run.broadcastId,
      priority: slot.programme.priority,
      source: t.source,
      minSignalQuality: slot.programme.minSignalQuality,
    });
  }

  /** Records a finding (or its absence) for a terminal; true when the set of problems changed. */
  private note(key: string, slot: TrackedSlot, id: number, f: WatchFinding | null, now: number): boolean {
    const prev = this.problems.get(key);
    if (f && prev && prev.kind === f.kind) return false;
    if (prev) this.close(key, prev, now);
    if (!f) return prev !== undefined;
    const p: Problem = { ...f, slot, terminalId: id, since: new Date(now), cause: `watch: ${f.detail}`.slice(0, 200) };
    this.problems.set(key, p);
    this.recorder.interrupted(slot, id, p.cause, p.since, null);
    return true;
  }

  private close(key: string, p: Problem, now: number): boolean {
    this.problems.delete(key);
    this.recorder.interrupted(p.slot, p.terminalId, p.cause, p.since, new Date(now));
    return true;
  }

  /**
   * Switches a terminal whose main source fails (weak signal at once; silent, or ours on another source, once that has
   * lasted FALLBACK_AFTER_MS) to the programme's fallback source, once per slot: no switching back and forth.
   */
  private async fallBack(key: string, slot: TrackedSlot, id: number, t: TerminalOnAir): Promise<boolean> {
    const fallback = slot.programme.fallback;
    if (!fallback || t.source !== reportedSource(slot.programme.source)) return false;
    const { source, sourceParam, clipId } = playSource(fallback);
    // a playlist fallback would need its clip stored first: only a live source is switched to here
    if (!source || clipId) return false;
    try {
      await this.field.command(
        id,
        {
          code: 'play',
          source,
          sourceParam,
          clipId: 0,
          priority: slot.programme.priority,
          broadcastClass: BROADCAST_CLASSES.daily,
          repeat: 0,
          volume: slot.programme.volume,
          endAt: slot.run.plannedEnd,
          broadcastId: slot.run.broadcastId,
        },
        { priority: 'command' },
      );
    } catch (e) {
      this.log.warn(`terminal ${id}: fallback to ${source} not taken: ${(e as Error).message}`);
      return false;
    }
    const now = this.clock.now();
    const p = this.problems.get(key);
    if (p) this.close(key, p, now);
    this.recorder.interrupted(slot, id, `watch: fell back to ${source}`, new Date(now), new Date(now));
    this.recorder.switched(slot, id, source);
    return true;
  }

  /** The watch's alarms: one per kind, slot and bus, naming its terminals (as a dead bus is one alarm, not twelve). */
  private causes(): AlarmCause[] {
    const groups = new Map<string, AlarmCause>();
    for (const p of this.problems.values()) {
      const s = this.monitoring.terminal(p.terminalId);
      const gatewayId = s?.gatewayId ?? null;
      const key = `${p.kind}:schedule:${p.slot.run.scheduleId}:gateway:${gatewayId ?? 'none'}`;
      const g = groups.get(key) ?? {
        key,
        kind: p.kind,
        areaCode: (gatewayId !== null ? this.monitoring.gateway(gatewayId)?.areaCode : undefined) ?? s?.areaCode ?? '',
        gatewayId,
        terminalId: null,
        fault: reportedSource(p.slot.programme.source),
        terminalIds: [],
      };
      g.terminalIds.push(p.terminalId);
      g.terminalId = g.terminalIds.length === 1 ? p.terminalId : null;
      groups.set(key, g);
    }
    return [...groups.values()];
  }
}
