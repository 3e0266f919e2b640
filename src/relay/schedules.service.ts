/**
 * Relay schedules (docs/relay.md): drafting, the review (三審 by the alerts' rule, assertSecondPerson), publish and
 * withdraw, and the conflicts a publication would meet. A published revision keeps playing, frozen with its
 * programme, while a newer revision is drafted and reviewed: no edit reaches the air without a second person.
 */
import { Injectable } from '@nestjs/common';
import { assertSecondPerson, fieldChanges } from '../alerts/alert-rules';
import { AlertsRepository } from '../alerts/alerts.repository';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { Clock } from '../common/clock';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../common/errors';
import { Transactions, type Tx } from '../database/transactions';
import { findConflicts, type Conflict, type ScheduleFootprint } from './day-view';
import { ProgrammesService } from './programmes.service';
import { checkRecurrence, dayNumber, dayOf, shanghaiDay, type Recurrence } from './recurrence';
import { assertMayUseClass, codesOf, covers, nextScheduleState, type ScheduleEvent } from './relay-rules';
import { RelayScheduleEntity, type ProgrammeEntity, type ScheduleAction } from './relay.entities';
import { RelayRepository } from './relay.repository';
import { RelayChanges, programmeSnapshot, revisionView, scheduleView, type ScheduleView } from './relay-view';

/** Days ahead (from the first day it may play) that a publication is checked for conflicts. */
export const CONFLICT_HORIZON_DAYS = 28;

export interface PublishResult {
  schedule: ScheduleView;
  conflicts: Conflict[];
}

@Injectable()
export class SchedulesService {
  constructor(
    private readonly repo: RelayRepository,
    private readonly registry: AlertsRepository,
    private readonly programmes: ProgrammesService,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly changes: RelayChanges,
    private readonly clock: Clock,
  ) {}

  async listOf(programmeId: number, user: AuthUser): Promise<ScheduleView[]> {
    const p = await this.programmes.visible(programmeId, user);
    return (await this.repo.schedulesOf([p.id])).map((s) => scheduleView(s, p));
  }

  async get(id: number, user: AuthUser): Promise<ScheduleView & { revisions: ReturnType<typeof revisionView>[] }> {
    const { schedule, programme } = await this.visible(id, user);
    return { ...scheduleView(schedule, programme), revisions: (await this.repo.revisions(id)).map(revisionView) };
  }

  async create(programmeId: number, recurrence: Recurrence, user: AuthUser): Promise<ScheduleView> {
    const programme = await this.programmes.visible(programmeId, user);
    this.checkRecurrence(recurrence);
    const saved = await this.transactions.run(async (tx) => {
      const now = this.clock.date();
      const s = await this.repo.saveSchedule(
        tx,
        Object.assign(new RelayScheduleEntity(), {
          programmeId,
          state: 'draft',
          revision: 1,
          recurrence,
          createdById: user.id,
          submittedById: null,
          submittedAt: null,
          rejectionReason: null,
          onAir: false,
          published: null,
          publishedById: null,
          publishedAt: null,
          firstPublishedAt: null,
          createdAt: now,
          updatedAt: now,
        } satisfies Omit<RelayScheduleEntity, 'id'>),
      );
      await this.revise(tx, s, 'created', user);
      await this.record(tx, user, 'create', s, programme, null);
      return s;
    });
    return this.announce(saved, programme);
  }

  /** A new working revision: back to draft; what is on air stays as it was reviewed. */
  async update(id: number, recurrence: Recurrence, user: AuthUser): Promise<ScheduleView> {
    await this.visible(id, user);
    this.checkRecurrence(recurrence);
    const out = await this.transactions.run(async (tx) => {
      const { schedule: s, programme } = await this.visible(id, user, tx);
      const changes = fieldChanges({ recurrence: s.recurrence }, { recurrence });
      if (Object.keys(changes).length === 0) return { s, programme };
      const before = scheduleView(s, programme);
      s.state = nextScheduleState(s.state, 'edit');
      if (s.published?.revision === s.revision) s.revision += 1;
      Object.assign(s, { recurrence, submittedById: null, submittedAt: null, updatedAt: this.clock.date() });
      const saved = await this.repo.saveSchedule(tx, s);
      await this.revise(tx, saved, 'edited', user, changes);
      await this.record(tx, user, 'update', saved, programme, before);
      return { s: saved, programme };
    });
    return this.announce(out.s, out.programme);
  }

  submit(id: number, user: AuthUser): Promise<ScheduleView> {
    return this.step(id, user, 'submit', 'submitted', (s, now) =>
      Object.assign(s, { submittedById: user.id, submittedAt: now, rejectionReason: null }),
    );
  }

  reject(id: number, reason: string, user: AuthUser): Promise<ScheduleView> {
    return this.step(id, user, 'reject', 'rejected', (s) => Object.assign(s, { rejectionReason: reason }));
  }

  /** Off the air at once (停播 of this schedule on purpose); audited, drafts of it may be submitted again. */
  withdraw(id: number, user: AuthUser): Promise<ScheduleView> {
    return this.step(id, user, 'withdraw', 'withdrawn', (s) => Object.assign(s, { onAir: false }));
  }

  /** The conflicts the working revision would meet on air, as the reviewer sees them before publishing. */
  async conflicts(id: number, user: AuthUser): Promise<Conflict[]> {
    const { schedule, programme } = await this.visible(id, user);
    return this.conflictsOf(schedule, programme);
  }

  /** 三审: another user with the approver role, whose scope covers the targets, publishes the working revision. */
  async approve(id: number, user: AuthUser): Promise<PublishResult> {
    const out = await this.transactions.run(async (tx) => {
      const { schedule: s, programme } = await this.visible(id, user, tx);
      const to = nextScheduleState(s.state, 'approve');
      assertSecondPerson(s, await this.repo.revisions(id, tx), user, 'approve', 'schedule');
      assertMayUseClass(user, programme.priorityClass);
      if (s.published) this.assertCoversIndex(user, s.published.areaIndex);
      const conflicts = await this.conflictsOf(s, programme, tx);
      const before = scheduleView(s, programme);
      const now = this.clock.date();
      Object.assign(s, {
        state: to,
        onAir: true,
        published: {
          revision: s.revision,
          recurrence: s.recurrence,
          programme: programmeSnapshot(programme),
          areaIndex: programme.areaIndex,
        },
        publishedById: user.id,
        publishedAt: now,
        firstPublishedAt: s.firstPublishedAt ?? now,
        updatedAt: now,
      });
      const saved = await this.repo.saveSchedule(tx, s);
      await this.revise(tx, saved, 'approved', user);
      await this.audit.record(
        {
          actor: user,
          action: 'relay.schedule.publish',
          entityType: 'schedule',
          entityId: id,
          before,
          after: { ...scheduleView(saved, programme), conflicts },
        },
        tx,
      );
      return { s: saved, programme, conflicts };
    });
    return { schedule: this.announce(out.s, out.programme), conflicts: out.conflicts };
  }

  // ---- internals ----

  private async step(
    id: number,
    user: AuthUser,
    event: ScheduleEvent,
    action: ScheduleAction,
    apply: (s: RelayScheduleEntity, now: Date) => void,
  ): Promise<ScheduleView> {
    const out = await this.transactions.run(async (tx) => {
      const { schedule: s, programme } = await this.visible(id, user, tx);
      if (s.published) this.assertCoversIndex(user, s.published.areaIndex);
      const before = scheduleView(s, programme);
      const now = this.clock.date();
      s.state = nextScheduleState(s.state, event);
      apply(s, now);
      s.updatedAt = now;
      const saved = await this.repo.saveSchedule(tx, s);
      await this.revise(tx, saved, action, user);
      await this.record(tx, user, event, saved, programme, before);
      return { s: saved, programme };
    });
    return this.announce(out.s, out.programme);
  }

  private async conflictsOf(s: RelayScheduleEntity, programme: ProgrammeEntity, tx?: Tx): Promise<Conflict[]> {
    const r = s.recurrence;
    const { first, last } = this.horizon(r);
    const terminalsOf = async (targets: ProgrammeEntity['targets']): Promise<Set<number>> =>
      new Set((await this.registry.resolveTargets(targets, tx)).map((t) => t.id));
    const candidate: ScheduleFootprint = {
      scheduleId: s.id,
      programmeName: programme.name,
      priority: programme.priority,
      publishedAt: s.firstPublishedAt,
      recurrence: r,
      terminalIds: await terminalsOf(programme.targets),
    };
    const others: ScheduleFootprint[] = [];
    for (const o of await this.repo.onAir(tx)) {
      if (o.id === s.id || !o.published) continue;
      others.push({
        scheduleId: o.id,
        programmeName: o.published.programme.name,
        priority: o.published.programme.priority,
        publishedAt: o.firstPublishedAt,
        recurrence: o.published.recurrence,
        terminalIds: await terminalsOf(o.published.programme.targets),
      });
    }
    return findConflicts(candidate, others, first, last, this.clock.date());
  }

  /** The days a publication is checked over: its coming dates, or CONFLICT_HORIZON_DAYS from its first coming day. */
  private horizon(r: Recurrence): { first: string; last: string } {
    const today = shanghaiDay(this.clock.date());
    if (r.kind === 'dates' || r.kind === 'once') {
      const coming = r.dates.filter((d) => d >= today).sort();
      const first = coming[0] ?? today;
      const cap = dayOf(dayNumber(first) + 365);
      const last = coming.at(-1) ?? first;
      return { first, last: last < cap ? last : cap };
    }
    const first = r.from !== null && r.from > today ? r.from : today;
    return { first, last: dayOf(dayNumber(first) + CONFLICT_HORIZON_DAYS - 1) };
  }

  private checkRecurrence(r: Recurrence): void {
    const fields = checkRecurrence(r);
    const today = shanghaiDay(this.clock.date());
    if (fields.length === 0) {
      if ((r.kind === 'once' || r.kind === 'dates') && r.dates.every((d) => d < today))
        fields.push({
          field: 'recurrence.dates',
          message: `every date is in the past (today is ${today} in Asia/Shanghai)`,
        });
      if (r.until !== null && r.until < today)
        fields.push({
          field: 'recurrence.until',
          message: `until is in the past (today is ${today} in Asia/Shanghai)`,
        });
    }
    if (fields.length > 0)
      throw new ValidationFailedError(`invalid schedule: ${fields.map((f) => f.field).join(', ')}`, fields);
  }

  private assertCoversIndex(user: AuthUser, areaIndex: string): void {
    if (!covers(user, areaIndex))
      throw new ForbiddenError('forbidden_area', 'what this schedule plays reaches outside your area scope');
  }

  /** The schedule and its programme if the user sees the programme (and what is on air of it). */
  private async visible(
    id: number,
    user: AuthUser,
    tx?: Tx,
  ): Promise<{ schedule: RelayScheduleEntity; programme: ProgrammeEntity }> {
    const schedule = await this.repo.schedule(id, tx);
    if (!schedule) throw new NotFoundError('schedule', id);
    const programme = await this.programmes.visible(schedule.programmeId, user, tx);
    return { schedule, programme };
  }

  private async revise(
    tx: Tx,
    s: RelayScheduleEntity,
    action: ScheduleAction,
    user: AuthUser,
    changes: Record<string, { from: unknown; to: unknown }> | null = null,
  ): Promise<void> {
    await this.repo.addRevision(tx, {
      scheduleId: s.id,
      revision: s.revision,
      at: this.clock.date(),
      action,
      userId: user.id,
      userName: user.username.slice(0, 64),
      changes,
    });
  }

  private async record(
    tx: Tx,
    user: AuthUser,
    verb: string,
    s: RelayScheduleEntity,
    p: ProgrammeEntity,
    before: ScheduleView | null,
  ): Promise<void> {
    await this.audit.record(
      {
        actor: user,
        action: `relay.schedule.${verb}`,
        entityType: 'schedule',
        entityId: s.id,
        before,
        after: scheduleView(s, p),
      },
      tx,
    );
  }

  private announce(s: RelayScheduleEntity, p: ProgrammeEntity): ScheduleView {
    const view = scheduleView(s, p);
    const areaCodes = [...new Set([...codesOf(p.areaIndex), ...codesOf(s.published?.areaIndex ?? '')])];
    this.changes.stream.next({ kind: 'schedule', schedule: view, areaCodes });
    return view;
  }
}
