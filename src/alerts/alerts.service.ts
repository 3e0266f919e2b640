/**
 * Alerts: composition, review (三审), the one-key emergency path, cancel, alerts from upstream; the hand-off to
 * dispatch (a DispatchOrder planned inside the transaction that moves the alert on air, launched after commit:
 * alert-on-air.ts). What dispatch reports back and expiry: alert-outcomes.service.ts.
 */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { ClipReferences } from '../audio/library/clip-references';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach, isUnrestricted } from '../auth/scope';
import { ConflictError, NotFoundError, ValidationFailedError, type FieldMessage } from '../common/errors';
import type { Page } from '../common/paging';
import { Transactions, Tx } from '../database/transactions';
import { Dispatcher } from '../dispatch/dispatch-order';
import { nextAlertState, type AlertEvent } from './alert-lifecycle';
import {
  alertInputOf,
  newAlertEntity,
  newRevision,
  upstreamActor,
  type AlertChange,
  type AlertInput,
  type AlertListQuery,
  type UpstreamOrigin,
} from './alert-input';
import {
  areaIndexOf,
  areaIndexPatterns,
  assertCoversAlertTargets,
  assertSecondPerson,
  assertSeesAlert,
  checkContent,
  fieldChanges,
} from './alert-rules';
import type { AlertEntity, FieldChanges, RevisionAction } from './alert.entities';
import { ALERT_TONE_IDS, AlertAudioSource } from './alert-audio';
import { AlertOnAir } from './alert-on-air';
import { alertView, revisionView, type AlertDetailView, type AlertView } from './alert-view';
import { AlertsRepository } from './alerts.repository';
import { Clock } from '../common/clock';

@Injectable()
export class AlertsService implements OnModuleInit, OnModuleDestroy {
  /** Every alert after a committed change (created, edited, reviewed, on air, finished); the live view publishes it. */
  readonly changes = new Subject<AlertChange>();

  constructor(
    private readonly repo: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly audio: AlertAudioSource,
    private readonly clipReferences: ClipReferences,
    private readonly dispatcher: Dispatcher,
    private readonly onAir: AlertOnAir,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.clipReferences.register({
      name: 'alert',
      find: async (clipId, tx) =>
        (await this.repo.usingClip(clipId, tx)).map((a) => ({ kind: 'alert', id: a.id, label: a.title })),
    });
  }

  onModuleDestroy(): void {
    this.changes.complete();
  }

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
      const alert = await this.repo.save(tx, newAlertEntity(input, user, terminalAreas, clipId, this.clock.date()));
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
    assertCoversAlertTargets(user, current);
    const merged: AlertInput = {
      ...alertInputOf(current),
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    };
    merged.title = merged.title.trim();
    if (Object.keys(fieldChanges(alertInputOf(current), merged)).length === 0) return alertView(current);
    const terminalAreas = await this.checkTargets(merged, user);
    const clipId = await this.audio.prepare(user, merged.audio, merged.text, merged.title, current);
    const saved = await this.transactions.run(async (tx) => {
      const alert = await this.load(id, tx);
      const before = alertView(alert);
      const changes = fieldChanges(alertInputOf(alert), merged);
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
    assertCoversAlertTargets(user, current);
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
      const alert = await this.repo.save(tx, newAlertEntity(input, user, terminalAreas, clipId, this.clock.date()));
      alert.state = nextAlertState(alert.state, 'emergency');
      return Object.assign(alert, { emergencyReason: reason });
    });
  }

  async confirm(id: number, user: AuthUser): Promise<AlertView> {
    const confirmed = await this.transactions.run(async (tx) => {
      const alert = await this.load(id, tx);
      assertSeesAlert(user, alert);
      if (alert.emergencyReason === null)
        throw new ConflictError('not_emergency', `alert ${id} was reviewed before air; there is nothing to confirm`, {
          alertId: id,
        });
      if (alert.confirmedById !== null)
        throw new ConflictError('already_confirmed', `alert ${id} was confirmed already`, { alertId: id });
      assertSecondPerson(alert, await this.repo.revisions(id, tx), user, 'confirm');
      assertCoversAlertTargets(user, alert);
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
      assertSeesAlert(user, a);
      assertCoversAlertTargets(user, a);
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
      Object.assign(newAlertEntity(input, actor, terminalAreas, prepared, this.clock.date()), {
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

  // ---- internals ----

  /** The hand-off to dispatch (alert-on-air.ts), published once committed. */
  private async goOnAir(
    user: AuthUser,
    emergency: boolean,
    move: (tx: Tx, now: Date) => Promise<AlertEntity>,
    action?: string,
  ): Promise<AlertView> {
    return this.announce(await this.onAir.send(user, emergency, move, action));
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
      assertSeesAlert(user, alert);
      assertCoversAlertTargets(user, alert);
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
  announce(alert: AlertEntity): AlertView {
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
    await this.repo.addRevision(tx, newRevision(alertId, action, user, this.clock.date(), changes));
  }

  private async load(id: number, tx?: Tx): Promise<AlertEntity> {
    const alert = await this.repo.findById(id, tx);
    if (!alert) throw new NotFoundError('alert', id);
    return alert;
  }

  private async visible(id: number, user: AuthUser): Promise<AlertEntity> {
    const alert = await this.load(id);
    assertSeesAlert(user, alert);
    return alert;
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
}
