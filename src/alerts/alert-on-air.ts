/**
 * An alert's hand-off to dispatch, for AlertsService's approval, one-key emergency and upstream paths: one transaction
 * moves the alert to its on-air state, gives it its broadcast id, resolves its targets to the enabled terminals the
 * user reaches and has dispatch plan the broadcast (a DispatchOrder); after commit dispatch launches it.
 */
import { Inject, Injectable } from '@nestjs/common';
import { composeBroadcastId, isWithinArea, shanghaiDate } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { isUnrestricted } from '../auth/scope';
import { Clock } from '../common/clock';
import { ConflictError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions, Tx } from '../database/transactions';
import { Dispatcher } from '../dispatch/dispatch-order';
import { newRevision } from './alert-input';
import { buildOrder } from './alert-rules';
import type { AlertEntity } from './alert.entities';
import { alertView } from './alert-view';
import { AlertsRepository } from './alerts.repository';

@Injectable()
export class AlertOnAir {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
  ) {}

  /**
   * `move` puts the alert in its on-air state inside the transaction; returns the alert as committed, once dispatch
   * has been told to launch it. `action` names the audit entry when it is not the approval or the emergency.
   */
  async send(
    user: AuthUser,
    emergency: boolean,
    move: (tx: Tx, now: Date) => Promise<AlertEntity>,
    action?: string,
  ): Promise<AlertEntity> {
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
      const revision = emergency && action === undefined ? 'emergency' : 'approved';
      await this.repo.addRevision(tx, newRevision(alert.id, revision, user, this.clock.date()));
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
    return saved;
  }
}
