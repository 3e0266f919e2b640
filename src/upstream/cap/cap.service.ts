/**
 * CAP 1.2 in and out. In: a message (POSTed, or an entry of a polled feed) is stored as received, validated against
 * the OASIS schema, recorded in the inbox, refused when its identifier was taken before, and mapped onto an alert with
 * the sender's review policy (a CAP sender registered by its <sender>; unknown senders always wait for review).
 * Out: an alert of ours as a CAP 1.2 message.
 */
import { Injectable } from '@nestjs/common';
import { findEventType } from '../../../firmware-protocols/codes';
import {
  buildCap,
  CAP_CATEGORY_OF_EVENT,
  CAP_STATUS_OF_MESSAGE_TYPE,
  capTime,
  LEVEL_TO_CAP_SEVERITY,
  parseCap,
  type CapAlert,
} from '../../../firmware-protocols/ebd';
import { AlertsService } from '../../alerts/alerts.service';
import type { AuthUser } from '../../auth/auth-user';
import { Clock } from '../../common/clock';
import { PacketStore } from '../packet-store';
import { UpstreamAlerts, type UpstreamOutcome } from '../upstream-alerts';
import { UpstreamMessageEntity, type UpstreamSenderEntity, type Verification } from '../upstream.entities';
import { UpstreamRepository } from '../upstream.repository';
import { mapCap, type CapMapped } from './cap-mapping';
import { CapSchema, type SchemaResult } from './cap-schema';

export interface CapIngestResult {
  messageId: number;
  verification: Verification;
  errors: string[];
  disposition: string;
  detail: string | null;
  alertId: number | null;
}

@Injectable()
export class CapService {
  constructor(
    private readonly repo: UpstreamRepository,
    private readonly store: PacketStore,
    private readonly schema: CapSchema,
    private readonly alerts: UpstreamAlerts,
    private readonly alertsService: AlertsService,
    private readonly clock: Clock,
  ) {}

  /** Whether a feed entry's message was taken before (by sender and identifier). */
  seen(upstreamId: string): Promise<boolean> {
    return this.repo.seen('cap', upstreamId);
  }

  async ingest(body: Buffer, fileName: string, remoteAddress: string | null): Promise<CapIngestResult> {
    const receivedAt = this.clock.date();
    const sha256 = await this.store.put(body);
    const xml = body.toString('utf8');
    const checked = await this.schema.validate(xml);
    const row = this.newRow(body, fileName, remoteAddress, receivedAt, sha256, checked);
    if (!checked.valid) {
      const saved = await this.repo.saveMessage(row);
      return {
        messageId: saved.id,
        verification: saved.verification,
        errors: checked.errors,
        disposition: saved.disposition,
        detail: null,
        alertId: null,
      };
    }
    const cap = parseCap(xml);
    const terminals = (await this.repo.terminals()).filter((t) => t.enabled);
    const mapped = mapCap(cap, terminals, receivedAt);
    const sender = await this.repo.senderByCode('cap', cap.sender);
    Object.assign(row, {
      senderId: sender?.id ?? null,
      senderCode: cap.sender.slice(0, 200),
      messageId: mapped.upstreamId,
      messageType: cap.msgType,
      alertRef: mapped.upstreamId,
    });
    const outcome = await this.decide(row, cap, mapped, sender);
    return this.finish(row, outcome);
  }

  /** The inbox row of a message as received, before it is read (schema-invalid ones are refused here). */
  private newRow(
    body: Buffer,
    fileName: string,
    remoteAddress: string | null,
    receivedAt: Date,
    sha256: string,
    checked: SchemaResult,
  ): UpstreamMessageEntity {
    return Object.assign(new UpstreamMessageEntity(), {
      kind: 'cap',
      receivedAt,
      remoteAddress: remoteAddress?.slice(0, 64) ?? null,
      senderId: null,
      senderCode: null,
      messageId: null,
      messageType: null,
      alertRef: null,
      verification: checked.valid ? 'valid' : 'schema-invalid',
      verificationDetail: checked.valid ? null : checked.errors.join('\n'),
      resultCode: null,
      disposition: checked.valid ? 'received' : 'refused',
      dispositionDetail: null,
      alertId: null,
      fileName: fileName.slice(0, 200),
      sha256,
      size: body.length,
    } satisfies Omit<UpstreamMessageEntity, 'id'>);
  }

  /** Refuses a replay or a disabled sender, ignores what is not aired, and otherwise takes the alert. */
  private async decide(
    row: UpstreamMessageEntity,
    cap: CapAlert,
    mapped: CapMapped,
    sender: UpstreamSenderEntity | null,
  ): Promise<UpstreamOutcome> {
    if (await this.repo.seen('cap', mapped.upstreamId)) {
      Object.assign(row, { verification: 'replayed' });
      return {
        disposition: 'refused',
        detail: `${mapped.upstreamId} was received before`,
        alertId: null,
        fault: 'content',
      };
    }
    if (sender && !sender.enabled) {
      return { disposition: 'refused', detail: `sender ${cap.sender} is disabled`, alertId: null, fault: 'content' };
    }
    if (mapped.notAired) {
      return { disposition: 'ignored', detail: mapped.notAired, alertId: null, fault: null };
    }
    return this.take(row, mapped, sender);
  }

  /** Saves the row first (the alert refers to it), then hands the mapped alert to the review policy. */
  private async take(
    row: UpstreamMessageEntity,
    mapped: CapMapped,
    sender: UpstreamSenderEntity | null,
  ): Promise<UpstreamOutcome> {
    const saved = await this.repo.saveMessage(row);
    const outcome = await this.alerts.take({
      source: 'cap',
      upstreamId: mapped.upstreamId,
      relatedUpstreamId: mapped.relatedUpstreamId,
      action: mapped.action,
      messageType: mapped.messageType,
      sender,
      senderName: sender?.name ?? mapped.senderName.slice(0, 40),
      eventType: mapped.eventType,
      severity: mapped.severity,
      title: mapped.title,
      text: mapped.text,
      language: mapped.language,
      areaCodes: mapped.areaCodes,
      terminalIds: mapped.terminalIds,
      audio: { kind: 'tts' },
      startAt: mapped.startAt,
      endAt: mapped.endAt,
    });
    row.id = saved.id;
    return outcome;
  }

  /** Records the outcome on the row and answers with it. */
  private async finish(row: UpstreamMessageEntity, outcome: UpstreamOutcome): Promise<CapIngestResult> {
    Object.assign(row, {
      disposition: outcome.disposition,
      dispositionDetail: outcome.detail,
      alertId: outcome.alertId,
    });
    const saved = await this.repo.saveMessage(row);
    return {
      messageId: saved.id,
      verification: saved.verification,
      errors: [],
      disposition: saved.disposition,
      detail: saved.dispositionDetail,
      alertId: saved.alertId,
    };
  }

  /** One of our alerts as CAP 1.2 (the reader must see the alert). */
  async export(
    alertId: number,
    user: AuthUser,
    platformCode: string,
    names: (codes: string[]) => Promise<Map<string, string>>,
  ): Promise<string> {
    const a = await this.alertsService.get(alertId, user);
    const areaCodes = a.targets.areaCodes;
    const named = await names(areaCodes);
    const identifier = a.broadcastId ?? `${platformCode}-${a.id}`;
    return buildCap({
      identifier,
      sender: platformCode,
      sent: capTime(new Date(a.createdAt)),
      status: CAP_STATUS_OF_MESSAGE_TYPE[a.messageType] ?? 'Actual',
      msgType: a.messageType === 'cancel' ? 'Cancel' : 'Alert',
      source: null,
      scope: 'Public',
      note: a.state === 'cancelled' ? '已取消' : null,
      references: null,
      infos: [
        {
          language: a.language,
          categories: [CAP_CATEGORY_OF_EVENT.find((c) => a.eventType.startsWith(c.prefix))?.category ?? 'Other'],
          event: findEventType(a.eventType)?.name ?? a.eventType,
          responseTypes: [],
          urgency: 'Immediate',
          severity: LEVEL_TO_CAP_SEVERITY[a.severity] ?? 'Unknown',
          certainty: 'Likely',
          eventCodes: [{ valueName: 'CN_EventType', value: a.eventType }],
          effective: null,
          onset: a.startAt ? capTime(new Date(a.startAt)) : null,
          expires: capTime(new Date(a.endAt)),
          senderName: a.createdByName,
          headline: a.title,
          description: a.text,
          instruction: null,
          web: null,
          contact: null,
          parameters: a.broadcastId ? [{ valueName: 'EBMID', value: a.broadcastId }] : [],
          areas: (areaCodes.length ? areaCodes : ['']).map((code) => ({
            areaDesc: named.get(code) ?? (code || `${a.targets.terminalIds.length} terminals`),
            polygons: [],
            circles: [],
            geocodes: code ? [{ valueName: 'CN_AreaCode', value: code }] : [],
          })),
        },
      ],
    });
  }
}
