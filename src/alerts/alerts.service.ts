/**
 * Alerts: composition, review (三审), the one-key emergency path, cancel and expiry; the hand-off to dispatch
 * (a DispatchOrder planned inside the transaction that moves the alert on air, launched after commit) and the
 * outcomes dispatch reports back (AlertOutcomes).
 */
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { composeBroadcastId, isWithinArea, shanghaiDate, type MessageTypeKey } from '../../firmware-protocols/codes';
import { ClipReferences } from '../audio/library/clip-references';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR, type AuthUser } from '../auth/auth-user';
import { assertCanReach, isUnrestricted } from '../auth/scope';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
  type FieldMessage,
} from '../common/errors';
import type { Page } from '../common/paging';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions, Tx } from '../database/transactions';
import { AlertOutcomes, Dispatcher } from '../dispatch/dispatch-order';
import {
  ALERT_LIFECYCLE,
  isFinalAlertState,
  nextAlertState,
  type AlertEvent,
  type AlertState,
} from './alert-lifecycle';
import {
  areaIndexOf,
  areaIndexPatterns,
  assertSecondPerson,
  buildOrder,
  checkContent,
  fieldChanges,
} from './alert-rules';
import { AlertEntity, type AlertAudio, type FieldChanges, type RevisionAction } from './alert.entities';
import { ALERT_TONE_IDS, AlertAudioSource } from './alert-audio';
import { alertView, revisionView, type AlertDetailView, type AlertView } from './alert-view';
import { AlertsRepository } from './alerts.repository';
import { Clock } from '../common/clock';

export interface AlertInput {
  eventType: string;
  severity: number;
  messageType: MessageTypeKey;
  title: string;
  text: string;
  language: string;
  targets: { areaCodes: string[]; terminalIds: number[] };
  audio: AlertAudio;
  repeat: number;
  volume: number;
  startAt: Date | null;
  endAt: Date;
}

export interface AlertListQuery {
  states?: AlertState[];
  areaCode?: string;
  messageType?: string;
  eventType?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** Where an upstream alert comes from (src/upstream): the kind, the upstream's id of it and the sender's name. */
export interface UpstreamOrigin {
  source: 'ebd' | 'cap';
  /** The EBMID (used as the broadcast id on air) or the CAP identifier. */
  upstreamId: string | null;
  senderName: string;
}

/** The audit actor of an upstream sender's decisions. */
export function upstreamActor(senderName: string): AuthUser {
  return { id: 0, username: `upstream:${senderName}`.slice(0, 64), roles: ['admin'], scopes: [] };
}

/** Events dispatch reports through AlertOutcomes. */
const DISPATCH_EVENTS: readonly AlertEvent[] = [
  'schedule',
  'start',
  'complete',
  'complete-partially',
  'fail',
  'cancel',
];
const FINISHING_EVENTS: readonly AlertEvent[] = ['complete', 'complete-partially', 'fail'];
const EXPIRY_SWEEP_MS = 30_000;

/** An alert as it is after a committed change, with the area codes it reaches (who may see it). */
export interface AlertChange {
  alert: AlertView;
  areaCodes: string[];
}

/** The state an event leads to wherever it is allowed (for telling a repeated report from an illegal one). */
function targetOf(event: AlertEvent): AlertState | undefined {
  for (const steps of Object.values(ALERT_LIFECYCLE)) if (steps[event]) return steps[event];
  return undefined;
}

@Injectable()
export class AlertsService implements AlertOutcomes, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Alerts');
  private timer: NodeJS.Timeout | null = null;
  /** Every alert after a committed change (created, edited, reviewed, on air, finished); the live view publishes it. */
  readonly changes = new Subject<AlertChange>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly audio: AlertAudioSource,
    private readonly clipReferences: ClipReferences,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.clipReferences.register({
      name: 'alert',
      find: async (clipId, tx) =>
        (await this.repo.usingClip(clipId, tx)).map((a) => ({ kind: 'alert', id: a.id, label: a.title })),
    });
    this.timer = setInterval(() => {
      this.expireDue().catch((e: unknown) => this.log.error(`expiry sweep failed: ${(e as Error).message}`));
    }, EXPIRY_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.changes.complete();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  // ---- reading ----

  async list(user: AuthUser, q: AlertListQuery): Promise<Page<AlertView>> {
    const visible = isUnrestricted(user) ? null : user.scopes.flatMap(areaIndexPatterns);
    const { items, total } = await this.repo.page({
      states: q.states,
      areaPatterns: visible,
      requiredPatterns: q.areaCode ? areaIndexPatterns(q.areaCode) : undefined,
      messageType: q.messageType,
      eventType: q.eventType,
      from: q.from,
      to: q.to,
      limit: q.limit,
      offset: q.offset,
    });
    return { items: items.map(alertView), total };
  }

  async get(id: number, user: AuthUser): Promise<AlertDetailView> {
    const alert = await this.visible(id, user);
    const targetCount = alert.terminalCount ?? (await this.repo.resolveTargets(alert.targets)).length;
    const revisions = (await this.repo.revisions(id)).map(revisionView);
    return { ...alertView(alert), targetCount, revisions };
  }

  // ---- composition and review ----

  async create(input: AlertInput, user: AuthUser): Promise<AlertView> {
    const terminalAreas = await this.checkTargets(input, user);
    const clipId = await this.audio.prepare(user, input.audio, input.text, input.title);
    const saved = await this.transactions.run(async (tx) => {
      const alert = await this.repo.save(tx, this.newAlert(input, user, terminalAreas, clipId));
      await this.revise(tx, alert.id, 'created', user);
      await this.audit.record(
        { actor: user, action: 'alert.create', entityType: 'alert', entityId: alert.id, after: alertView(alert) },
        tx,
      );
      return alert;
    });
    return this.announce(saved);
  }

  async update(id: number, patch: Partial<AlertInput>, user: AuthUser): Promise<AlertView> {
    const current = await this.visible(id, user);
    nextAlertState(current.state, 'update');
    this.assertCoversTargets(user, current);
    const merged: AlertInput = {
      ...this.inputOf(current),
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    };
    merged.title = merged.title.trim();
    if (Object.keys(fieldChanges(this.inputOf(current), merged)).length === 0) return alertView(current);
    const terminalAreas = await this.checkTargets(merged, user);
    const clipId = await this.audio.prepare(user, merged.audio, merged.text, merged.title, current);
    const saved = await this.transactions.run(async (tx) => {
      const alert = await this.load(id, tx);
      const before = alertView(alert);
      const changes = fieldChanges(this.inputOf(alert), merged);
      if (Object.keys(changes).length === 0) return alert;
      // any change to what goes on air is a new text: it goes back to draft and needs a new submission
      alert.state = nextAlertState(alert.state, 'update');
      Object.assign(alert, merged, {
        clipId,
        areaIndex: areaIndexOf(merged.targets.areaCodes, terminalAreas),
        submittedById: null,
        submittedAt: null,
        updatedAt: this.clock.date(),
      });
      const after = await this.repo.save(tx, alert);
      await this.revise(tx, id, 'edited', user, changes);
      await this.audit.record(
        { actor: user, action: 'alert.update', entityType: 'alert', entityId: id, before, after: alertView(after) },
        tx,
      );
      return after;
    });
    return this.announce(saved);
  }

  submit(id: number, user: AuthUser): Promise<AlertView> {
    return this.step(id, user, 'submit', 'submitted', (a, now) =>
      Object.assign(a, { submittedById: user.id, submittedAt: now }),
    );
  }

  reject(id: number, reason: string, user: AuthUser): Promise<AlertView> {
    return this.step(id, user, 'reject', 'rejected', (a, now) =>
      Object.assign(a, { rejectedById: user.id, rejectedAt: now, rejectionReason: reason }),
    );
  }

  /** 三审: someone else with the approver role, whose scope covers every target, approves; the alert goes on air. */
  async approve(id: number, user: AuthUser): Promise<AlertView> {
    const current = await this.visible(id, user);
    nextAlertState(current.state, 'approve');
    assertSecondPerson(current, await this.repo.revisions(id), user, 'approve');
    this.assertCoversTargets(user, current);
    const clipId = await this.audio.assertReady(current.clipId, false);
    return this.goOnAir(user, false, async (tx, now) => {
      const alert = await this.load(id, tx);
      // again inside the transaction: an edit or a submission may have landed since the check above
      assertSecondPerson(alert, await this.repo.revisions(id, tx), user, 'approve');
      alert.state = nextAlertState(nextAlertState(alert.state, 'approve'), 'schedule');
      return Object.assign(alert, { approvedById: user.id, approvedAt: now, clipId });
    });
  }

  /** The one-key path: created and sent at once, with its reason; an approver confirms it afterwards. */
  async emergency(input: AlertInput, reason: string, user: AuthUser): Promise<AlertView> {
    const terminalAreas = await this.checkTargets(input, user);
    const prepared = await this.audio.prepare(user, input.audio, input.text, input.title);
    const clipId = await this.audio.assertReady(prepared, true);
    return this.goOnAir(user, true, async (tx) => {
      const alert = await this.repo.save(tx, this.newAlert(input, user, terminalAreas, clipId));
      alert.state = nextAlertState(alert.state, 'emergency');
      return Object.assign(alert, { emergencyReason: reason });
    });
  }

  async confirm(id: number, user: AuthUser): Promise<AlertView> {
    const confirmed = await this.transactions.run(async (tx) => {
      const alert = await this.load(id, tx);
      this.assertSees(user, alert);
      if (alert.emergencyReason === null)
        throw new ConflictError('not_emergency', `alert ${id} was reviewed before air; there is nothing to confirm`, {
          alertId: id,
        });
      if (alert.confirmedById !== null)
        throw new ConflictError('already_confirmed', `alert ${id} was confirmed already`, { alertId: id });
      assertSecondPerson(alert, await this.repo.revisions(id, tx), user, 'confirm');
      this.assertCoversTargets(user, alert);
      const before = alertView(alert);
      const now = this.clock.date();
      Object.assign(alert, { confirmedById: user.id, confirmedAt: now, updatedAt: now });
      const saved = await this.repo.save(tx, alert);
      await this.revise(tx, id, 'confirmed', user);
      await this.audit.record(
        { actor: user, action: 'alert.confirm', entityType: 'alert', entityId: id, before, after: alertView(saved) },
        tx,
      );
      return saved;
    });
    return this.announce(confirmed);
  }

  /** Before air: cancelled at once. Planned or on air: dispatch is told to stop it everywhere. */
  async cancel(id: number, user: AuthUser): Promise<AlertView> {
    const { alert, tellDispatch } = await this.transactions.run(async (tx) => {
      const a = await this.load(id, tx);
      this.assertSees(user, a);
      this.assertCoversTargets(user, a);
      const before = alertView(a);
      const to = nextAlertState(a.state, 'cancel');
      const onAir = a.state === 'dispatching';
      if (!onAir) a.state = to;
      Object.assign(a, { cancelRequested: true, cancelledById: user.id, updatedAt: this.clock.date() });
      const saved = await this.repo.save(tx, a);
      await this.revise(tx, id, 'cancelled', user);
      await this.audit.record(
        {
          actor: user,
          action: onAir ? 'alert.cancel_request' : 'alert.cancel',
          entityType: 'alert',
          entityId: id,
          before,
          after: alertView(saved),
        },
        tx,
      );
      return { alert: saved, tellDispatch: saved.broadcastId !== null };
    });
    if (tellDispatch) await this.dispatcher.cancel(id, user.id);
    return this.announce((await this.repo.findById(id)) ?? alert);
  }

  /**
   * An alert from an upstream platform or feed: `dispatch` sends it at once as the sender's decision (the sender is
   * the approving party in the history), `review` puts it submitted for a local approver.
   */
  async createFromUpstream(input: AlertInput, origin: UpstreamOrigin, mode: 'dispatch' | 'review'): Promise<AlertView> {
    const actor = upstreamActor(origin.senderName);
    const terminalAreas = await this.checkTargets(input, actor);
    const prepared = await this.audio.prepare(actor, input.audio, input.text, input.title);
    const fresh = (now: Date): AlertEntity =>
      Object.assign(this.newAlert(input, actor, terminalAreas, prepared), {
        source: origin.source,
        upstreamId: origin.upstreamId,
        submittedById: actor.id,
        submittedAt: now,
      });
    if (mode === 'review') {
      const saved = await this.transactions.run(async (tx) => {
        const alert = fresh(this.clock.date());
        alert.state = nextAlertState(alert.state, 'submit');
        const row = await this.repo.save(tx, alert);
        await this.revise(tx, row.id, 'created', actor);
        await this.revise(tx, row.id, 'submitted', actor);
        await this.audit.record(
          { actor, action: 'alert.upstream_submit', entityType: 'alert', entityId: row.id, after: alertView(row) },
          tx,
        );
        return row;
      });
      return this.announce(saved);
    }
    const clipId = await this.audio.assertReady(prepared, true);
    return this.goOnAir(
      actor,
      true,
      async (tx, now) => {
        const alert = fresh(now);
        alert.state = nextAlertState(nextAlertState(nextAlertState(alert.state, 'submit'), 'approve'), 'schedule');
        const row = await this.repo.save(tx, Object.assign(alert, { approvedById: actor.id, approvedAt: now, clipId }));
        await this.revise(tx, row.id, 'created', actor);
        await this.revise(tx, row.id, 'submitted', actor);
        return row;
      },
      'alert.upstream_dispatch',
    );
  }

  // ---- outcomes from dispatch, expiry ----

  /** AlertOutcomes: moves the alert by a dispatch event, audited as the system; a repeated report is a no-op. */
  async advance(alertId: number, event: AlertEvent, detail?: string): Promise<void> {
    if (!DISPATCH_EVENTS.includes(event)) throw new Error(`dispatch cannot report "${event}" on an alert`);
    const moved = await this.transactions.run(async (tx) => {
      const alert = await this.load(alertId, tx);
      if (ALERT_LIFECYCLE[alert.state][event] === undefined && targetOf(event) === alert.state) return null;
      if (isFinalAlertState(alert.state)) {
        // e.g. the engine confirming a stop after the alert expired: the alert's outcome is already written
        this.log.warn(`alert ${alertId} is ${alert.state}; dispatch's late "${event}" is ignored`);
        return null;
      }
      const before = alertView(alert);
      // a broadcast that finished before its start was reported
      const from =
        alert.state === 'scheduled' && FINISHING_EVENTS.includes(event)
          ? nextAlertState(alert.state, 'start')
          : alert.state;
      alert.state = nextAlertState(from, event);
      Object.assign(alert, { outcomeDetail: detail ?? alert.outcomeDetail, updatedAt: this.clock.date() });
      const saved = await this.repo.save(tx, alert);
      await this.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: `alert.${event}`,
          entityType: 'alert',
          entityId: alertId,
          before,
          after: alertView(saved),
        },
        tx,
      );
      return saved;
    });
    if (moved) this.announce(moved);
  }

  /** Alerts still draft, submitted, approved or scheduled past their end become expired; returns their ids. */
  async expireDue(now = this.clock.date()): Promise<number[]> {
    const expired: number[] = [];
    for (const due of await this.repo.dueToExpire(now)) {
      const saved = await this.transactions.run(async (tx) => {
        const alert = await this.load(due.id, tx);
        if (alert.endAt.getTime() > now.getTime() || ALERT_LIFECYCLE[alert.state].expire === undefined) return null;
        const before = alertView(alert);
        alert.state = nextAlertState(alert.state, 'expire');
        Object.assign(alert, {
          outcomeDetail: `expired at ${now.toISOString()} before it went on air`,
          updatedAt: now,
        });
        const after = await this.repo.save(tx, alert);
        await this.audit.record(
          {
            actor: SYSTEM_ACTOR,
            action: 'alert.expire',
            entityType: 'alert',
            entityId: alert.id,
            before,
            after: alertView(after),
          },
          tx,
        );
        return after;
      });
      if (!saved) continue;
      expired.push(saved.id);
      this.announce(saved);
      if (saved.broadcastId) await this.dispatcher.cancel(due.id, SYSTEM_ACTOR.id);
    }
    return expired;
  }

  // ---- internals ----

  /**
   * One transaction: `move` puts the alert in its on-air state, it gets its broadcast id, the targets resolve to the
   * enabled terminals the user reaches, and dispatch plans the broadcast; after commit dispatch launches it.
   */
  private async goOnAir(
    user: AuthUser,
    emergency: boolean,
    move: (tx: Tx, now: Date) => Promise<AlertEntity>,
    action?: string,
  ): Promise<AlertView> {
    const dispatcher = this.dispatcher;
    const saved = await this.transactions.run(async (tx) => {
      const now = this.clock.date();
      const alert = await move(tx, now);
      const before = emergency ? null : alertView((await this.repo.findById(alert.id, tx)) ?? alert);
      const terminals = (await this.repo.resolveTargets(alert.targets, tx)).filter(
        (t) => isUnrestricted(user) || user.scopes.some((s) => isWithinArea(t.areaCode, s)),
      );
      if (terminals.length === 0)
        throw new ConflictError(
          'no_terminals',
          `the targets of alert ${alert.id} resolve to no enabled terminal inside your area scope`,
          { alertId: alert.id },
        );
      const sender = this.config.platformResourceCode;
      // an upstream EBM keeps its EBMID on air
      alert.broadcastId =
        alert.source === 'ebd' && alert.upstreamId
          ? alert.upstreamId
          : composeBroadcastId(sender, now, await this.repo.nextSequence(tx, sender, shanghaiDate(now)));
      alert.terminalCount = terminals.length;
      alert.updatedAt = now;
      const after = await this.repo.save(tx, alert);
      // an upstream sender's decision to send at once is its approval
      await this.revise(tx, alert.id, emergency && action === undefined ? 'emergency' : 'approved', user);
      await dispatcher.plan(
        buildOrder({
          alert: after,
          broadcastId: alert.broadcastId,
          clipId: alert.clipId ?? '',
          terminalIds: terminals.map((t) => t.id),
          emergency,
          userId: user.id,
          now,
        }),
        tx,
      );
      await this.audit.record(
        {
          actor: user,
          action: action ?? (emergency ? 'alert.emergency' : 'alert.approve'),
          entityType: 'alert',
          entityId: alert.id,
          before,
          after: alertView(after),
        },
        tx,
      );
      return after;
    });
    dispatcher.launch(saved.broadcastId ?? '');
    return this.announce(saved);
  }

  private async step(
    id: number,
    user: AuthUser,
    event: AlertEvent,
    action: RevisionAction,
    apply: (a: AlertEntity, now: Date) => void,
  ): Promise<AlertView> {
    const stepped = await this.transactions.run(async (tx) => {
      const alert = await this.load(id, tx);
      this.assertSees(user, alert);
      this.assertCoversTargets(user, alert);
      const before = alertView(alert);
      const now = this.clock.date();
      alert.state = nextAlertState(alert.state, event);
      apply(alert, now);
      alert.updatedAt = now;
      const saved = await this.repo.save(tx, alert);
      await this.revise(tx, id, action, user);
      await this.audit.record(
        { actor: user, action: `alert.${event}`, entityType: 'alert', entityId: id, before, after: alertView(saved) },
        tx,
      );
      return saved;
    });
    return this.announce(stepped);
  }

  /**
   * Publishes an alert on `changes` (called once the transaction that wrote it committed) and returns its view; a
   * draft or submitted alert is published again when its audio has settled, so a reviewer sees it become ready.
   */
  private announce(alert: AlertEntity): AlertView {
    const change: AlertChange = { alert: alertView(alert), areaCodes: alert.areaIndex.split('|').filter(Boolean) };
    this.changes.next(change);
    if (alert.clipId && (alert.state === 'draft' || alert.state === 'submitted')) {
      const clipId = alert.clipId;
      this.audio.whenSettled(clipId).then(
        () => this.changes.next(change),
        () => undefined,
      );
    }
    return change.alert;
  }

  private async revise(
    tx: Tx,
    alertId: number,
    action: RevisionAction,
    user: AuthUser,
    changes: FieldChanges | null = null,
  ): Promise<void> {
    await this.repo.addRevision(tx, {
      alertId,
      at: this.clock.date(),
      action,
      userId: user.id,
      userName: user.username.slice(0, 64),
      changes,
    });
  }

  private async load(id: number, tx?: Tx): Promise<AlertEntity> {
    const alert = await this.repo.findById(id, tx);
    if (!alert) throw new NotFoundError('alert', id);
    return alert;
  }

  private async visible(id: number, user: AuthUser): Promise<AlertEntity> {
    const alert = await this.load(id);
    this.assertSees(user, alert);
    return alert;
  }

  /** A user sees an alert that reaches into their scope (a county-wide alert is seen in every town). */
  private assertSees(user: AuthUser, alert: AlertEntity): void {
    if (isUnrestricted(user)) return;
    const codes = alert.areaIndex.split('|').filter(Boolean);
    if (!codes.some((c) => user.scopes.some((s) => isWithinArea(c, s) || isWithinArea(s, c)))) {
      throw new ForbiddenError('forbidden_area', `alert ${alert.id} is outside your area scope`, { alertId: alert.id });
    }
  }

  /** Acting on an alert needs every one of its target areas (and its single terminals' areas) inside the user's scope. */
  private assertCoversTargets(user: AuthUser, alert: AlertEntity): void {
    for (const code of alert.areaIndex.split('|').filter(Boolean)) assertCanReach(user, code, 'a target');
  }

  /** Content rules, registered areas, known terminals, all inside the user's scope; returns the single terminals' areas. */
  private async checkTargets(input: AlertInput, user: AuthUser): Promise<string[]> {
    const fields: FieldMessage[] = checkContent(input, ALERT_TONE_IDS, this.clock.date());
    const { areaCodes, terminalIds } = input.targets;
    const registered = await this.repo.registeredAreas(areaCodes);
    for (const [i, code] of areaCodes.entries()) {
      if (!fields.some((f) => f.field === `targets.areaCodes.${i}`) && !registered.has(code))
        fields.push({ field: `targets.areaCodes.${i}`, message: `no region with area code ${code} is registered` });
    }
    const places = new Map((await this.repo.terminalPlaces(terminalIds)).map((t) => [t.id, t]));
    for (const [i, id] of terminalIds.entries())
      if (!places.has(id)) fields.push({ field: `targets.terminalIds.${i}`, message: `terminal ${id} does not exist` });
    if (fields.length > 0)
      throw new ValidationFailedError(`invalid alert: ${fields.map((f) => f.field).join(', ')}`, fields);
    for (const code of areaCodes) assertCanReach(user, code, 'a target');
    for (const t of places.values()) assertCanReach(user, t.areaCode, `terminal ${t.id}`);
    return [...places.values()].map((t) => t.areaCode);
  }

  private newAlert(input: AlertInput, user: AuthUser, terminalAreas: string[], clipId: string): AlertEntity {
    const now = this.clock.date();
    return Object.assign(new AlertEntity(), {
      ...input,
      title: input.title.trim(),
      broadcastId: null,
      state: 'draft',
      areaIndex: areaIndexOf(input.targets.areaCodes, terminalAreas),
      clipId,
      terminalCount: null,
      createdById: user.id,
      createdByName: user.username.slice(0, 64),
      submittedById: null,
      submittedAt: null,
      approvedById: null,
      approvedAt: null,
      rejectedById: null,
      rejectedAt: null,
      rejectionReason: null,
      emergencyReason: null,
      confirmedById: null,
      confirmedAt: null,
      cancelRequested: false,
      cancelledById: null,
      outcomeDetail: null,
      createdAt: now,
      updatedAt: now,
      source: null,
      upstreamId: null,
    } satisfies Omit<AlertEntity, 'id'>);
  }

  private inputOf(a: AlertEntity): AlertInput {
    return {
      eventType: a.eventType,
      severity: a.severity,
      messageType: a.messageType,
      title: a.title,
      text: a.text,
      language: a.language,
      targets: a.targets,
      audio: a.audio,
      repeat: a.repeat,
      volume: a.volume,
      startAt: a.startAt,
      endAt: a.endAt,
    };
  }
}
