/**
 * What an upstream message does to alerts, for EBD and CAP alike: its areas narrowed to the registered regions inside
 * our county, its event and severity checked against our tables, then — by the sender's policy for that severity —
 * sent at once as the sender's decision or submitted for a local approver; a cancel or an update acts on the alert the
 * message names (by its upstream id).
 */
import { Inject, Injectable } from '@nestjs/common';
import { findEventType, isWithinArea, parseResourceCode, type MessageTypeKey } from '../../firmware-protocols/codes';
import { isFinalAlertState } from '../alerts/alert-lifecycle';
import type { AlertAudio } from '../alerts/alert.entities';
import { upstreamActor, type AlertInput } from '../alerts/alert-input';
import { AlertsService } from '../alerts/alerts.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { UpstreamSenderEntity } from './upstream.entities';
import { UpstreamRepository } from './upstream.repository';

export const OTHER_EVENT = '10000';

export interface UpstreamAlertRequest {
  source: 'ebd' | 'cap';
  /** EBMID or CAP identifier. */
  upstreamId: string;
  /** The alert this one cancels or replaces. */
  relatedUpstreamId: string | null;
  action: 'alert' | 'cancel';
  /** real, or a drill (CAP Exercise). */
  messageType?: MessageTypeKey;
  sender: UpstreamSenderEntity | null;
  senderName: string;
  eventType: string;
  severity: number;
  title: string;
  text: string;
  language: string;
  /** Area codes as sent (anywhere); only those inside our county count. */
  areaCodes: string[];
  /** Terminals picked by the message's geometry (CAP polygons). */
  terminalIds: number[];
  audio: AlertAudio;
  startAt: Date | null;
  endAt: Date;
}

export interface UpstreamOutcome {
  /** dispatched, held, cancelled, replaced, ignored, refused. */
  disposition: string;
  detail: string;
  alertId: number | null;
  /** A content fault (EBDResponse 3) or out of scope (5); null when taken. */
  fault: 'content' | 'scope' | null;
}

@Injectable()
export class UpstreamAlerts {
  readonly county: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly alerts: AlertsService,
    private readonly repo: UpstreamRepository,
    private readonly clock: Clock,
  ) {
    this.county = parseResourceCode(config.platformResourceCode).areaCode;
  }

  /** The registered regions the codes name inside our county; a code above it (province, city) means the county. */
  async areasInCounty(codes: readonly string[]): Promise<string[]> {
    const wanted = new Set<string>();
    for (const code of codes) {
      if (isWithinArea(code, this.county)) wanted.add(code);
      else if (isWithinArea(this.county, code)) wanted.add(this.county);
    }
    const registered = await this.repo.registeredAreas([...wanted]);
    return [...wanted].filter((c) => registered.has(c)).sort();
  }

  async take(r: UpstreamAlertRequest): Promise<UpstreamOutcome> {
    const related = r.relatedUpstreamId ? await this.repo.alertByUpstreamId(r.relatedUpstreamId) : null;
    if (r.action === 'cancel') {
      const target = related ?? (await this.repo.alertByUpstreamId(r.upstreamId));
      if (!target)
        return {
          disposition: 'refused',
          detail: `no alert came from ${r.relatedUpstreamId ?? r.upstreamId}`,
          alertId: null,
          fault: 'content',
        };
      if (isFinalAlertState(target.state))
        return {
          disposition: 'ignored',
          detail: `alert ${target.id} is ${target.state} already`,
          alertId: target.id,
          fault: null,
        };
      await this.alerts.cancel(target.id, upstreamActor(r.senderName));
      return { disposition: 'cancelled', detail: `alert ${target.id} cancelled`, alertId: target.id, fault: null };
    }
    const areaCodes = await this.areasInCounty(r.areaCodes);
    if (areaCodes.length === 0 && r.terminalIds.length === 0) {
      return {
        disposition: 'ignored',
        detail: `none of ${r.areaCodes.join(', ') || '(no areas)'} lies in the registered regions of county ${this.county}`,
        alertId: null,
        fault: 'scope',
      };
    }
    const event = findEventType(r.eventType);
    const input: AlertInput = {
      eventType: event && event.severities.includes(r.severity) ? r.eventType : OTHER_EVENT,
      severity: r.severity,
      messageType: r.messageType ?? 'real',
      title: r.title.trim().slice(0, 200) || '上级预警',
      text: r.text.trim() || r.title.trim(),
      language: r.language,
      targets: { areaCodes, terminalIds: r.terminalIds },
      audio: r.audio,
      repeat: 1,
      volume: 80,
      startAt: r.startAt && r.startAt.getTime() > this.clock.now() ? r.startAt : null,
      endAt: r.endAt,
    };
    const mode = r.sender?.enabled && r.sender.dispatchSeverities.includes(r.severity) ? 'dispatch' : 'review';
    try {
      if (related && !isFinalAlertState(related.state))
        await this.alerts.cancel(related.id, upstreamActor(r.senderName));
      const alert = await this.alerts.createFromUpstream(
        input,
        { source: r.source, upstreamId: r.upstreamId, senderName: r.senderName },
        mode,
      );
      const what = mode === 'dispatch' ? `sent at once (${alert.broadcastId ?? ''})` : 'held for local review';
      return {
        disposition: related ? 'replaced' : mode === 'dispatch' ? 'dispatched' : 'held',
        detail: `${related ? `replaces alert ${related.id}; ` : ''}alert ${alert.id} ${what}, targets ${[...areaCodes, ...r.terminalIds.map((t) => `terminal ${t}`)].join(', ')}`,
        alertId: alert.id,
        fault: null,
      };
    } catch (e) {
      if (e instanceof DomainError && e.status < 500)
        return { disposition: 'refused', detail: e.message, alertId: null, fault: 'content' };
      throw e;
    }
  }
}
