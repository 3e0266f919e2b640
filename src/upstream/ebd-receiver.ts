/**
 * Receiving an EBD packet (POST /api/upstream/ebd): stored as received first, the signature verified against the
 * sender's registered certificate before anything is read, then addressed-to-us, replay (EBDID seen, EBDTime too old
 * or ahead) and scope checks, and only then acted on. Every packet becomes an inbox row with its verification result
 * and what became of it; the answer is a signed EBDResponse (ResultCode 0–5, 4 for a bad signature).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AUXILIARY_AUDIO,
  EBD_RESULT_CODES,
  EBD_RESULT_DESCRIPTIONS,
  EBM_MSG_TYPES,
  OMD_TYPES,
  type Ebm,
  type EbdPacket,
  type EbdResultCode,
} from '../../firmware-protocols/ebd';
import { AudioService } from '../audio/audio.service';
import { upstreamActor } from '../alerts/alert-input';
import { Clock } from '../common/clock';
import { Mutex } from '../common/mutex';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { ArchiveFile } from './ebd-archive';
import { openPacket, type SealedPacket } from './ebd-packets';
import { PacketStore } from './packet-store';
import { UpstreamAlerts, type UpstreamOutcome } from './upstream-alerts';
import { UpstreamOutbox } from './upstream-outbox';
import { UpstreamReporter } from './upstream-reporter';
import { UpstreamMessageEntity, type UpstreamSenderEntity, type Verification } from './upstream.entities';
import { UpstreamRepository } from './upstream.repository';

/** The EBRID used in DEST when the sender could not be told (an unverifiable packet). */
const UNKNOWN_EBRID = '0'.repeat(23);

export interface EbdAnswer {
  resultCode: EbdResultCode;
  resultDesc: string;
  messageId: number;
  sealed: SealedPacket;
}

interface Checked {
  verification: Verification;
  resultCode: EbdResultCode;
  detail: string | null;
  sender: UpstreamSenderEntity | null;
  packet: EbdPacket | null;
  resources: ArchiveFile[];
  ebdId: string | null;
}

@Injectable()
export class EbdReceiver {
  private readonly log = new Logger('EbdReceiver');
  private readonly lock = new Mutex();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: UpstreamRepository,
    private readonly store: PacketStore,
    private readonly outbox: UpstreamOutbox,
    private readonly alerts: UpstreamAlerts,
    private readonly reporter: UpstreamReporter,
    private readonly audio: AudioService,
    private readonly clock: Clock,
  ) {}

  async receive(tar: Buffer, fileName: string, remoteAddress: string | null): Promise<EbdAnswer> {
    const receivedAt = this.clock.date();
    const sha256 = await this.store.put(tar);
    // one packet at a time: a replay racing its original is seen as one
    const release = await this.lock.acquire();
    let row: UpstreamMessageEntity;
    let checked: Checked;
    try {
      checked = await this.check(tar, receivedAt);
      row = await this.repo.saveMessage(
        Object.assign(new UpstreamMessageEntity(), {
          kind: 'ebd',
          receivedAt,
          remoteAddress: remoteAddress?.slice(0, 64) ?? null,
          senderId: checked.sender?.id ?? null,
          senderCode: checked.packet?.header.srcEbrId ?? checked.sender?.code ?? null,
          messageId: checked.ebdId,
          messageType: checked.packet?.header.type ?? null,
          alertRef: checked.packet?.payload.type === 'EBM' ? checked.packet.payload.ebm.ebmId : null,
          verification: checked.verification,
          verificationDetail: checked.detail,
          resultCode: checked.resultCode,
          disposition: checked.verification === 'verified' ? 'received' : 'refused',
          dispositionDetail: null,
          alertId: null,
          fileName: fileName.slice(0, 200),
          sha256,
          size: tar.length,
        } satisfies Omit<UpstreamMessageEntity, 'id'>),
      );
    } finally {
      release();
    }
    let resultCode = checked.resultCode;
    let resultDesc = checked.detail ?? EBD_RESULT_DESCRIPTIONS[resultCode];
    if (checked.verification === 'verified' && checked.packet && checked.sender) {
      const outcome = await this.act(checked.packet, checked.sender, checked.resources).catch(
        (e: unknown): UpstreamOutcome => {
          this.log.error(`EBD ${checked.ebdId ?? ''}: ${(e as Error).stack ?? String(e)}`);
          return {
            disposition: 'failed',
            detail: `not carried out: ${(e as Error).message}`,
            alertId: null,
            fault: null,
          };
        },
      );
      resultCode =
        outcome.fault === 'content'
          ? EBD_RESULT_CODES.contentInvalid
          : outcome.fault === 'scope' || outcome.disposition === 'failed'
            ? EBD_RESULT_CODES.other
            : EBD_RESULT_CODES.ok;
      resultDesc =
        resultCode === EBD_RESULT_CODES.ok
          ? `${EBD_RESULT_DESCRIPTIONS[resultCode]}: ${outcome.detail}`
          : outcome.detail;
      Object.assign(row, {
        disposition: outcome.disposition,
        dispositionDetail: outcome.detail,
        alertId: outcome.alertId,
        resultCode,
      });
      await this.repo.saveMessage(row);
    }
    const sealed = await this.outbox.seal(
      checked.packet?.header.srcEbrId ?? checked.sender?.code ?? UNKNOWN_EBRID,
      { type: 'EBDResponse', response: { resultCode, resultDesc: resultDesc.slice(0, 500) } },
      checked.ebdId,
    );
    return { resultCode, resultDesc, messageId: row.id, sealed };
  }

  /** Signature first (by the certificate serial), then sender, addressee, replay; nothing is acted on here. */
  private async check(tar: Buffer, now: Date): Promise<Checked> {
    let sender: UpstreamSenderEntity | null = null;
    const opened = await openPacket(tar, async (certSn) => {
      sender = await this.repo.senderByCertSn(certSn);
      return sender?.publicKey ?? null;
    });
    const base = { sender, packet: null, resources: [] as ArchiveFile[] };
    if (!opened.ok) {
      const verification: Verification =
        opened.stage === 'signature'
          ? opened.detail.startsWith('no enabled sender')
            ? 'unknown-sender'
            : 'bad-signature'
          : 'malformed';
      return { ...base, verification, resultCode: opened.resultCode, detail: opened.detail, ebdId: opened.ebdId };
    }
    const s = sender as UpstreamSenderEntity | null;
    const h = opened.packet.header;
    const fail = (verification: Verification, resultCode: EbdResultCode, detail: string): Checked => ({
      ...base,
      sender: s,
      packet: opened.packet,
      verification,
      resultCode,
      detail,
      ebdId: h.ebdId,
    });
    if (!s || s.code !== h.srcEbrId)
      return fail(
        'bad-signature',
        EBD_RESULT_CODES.signatureFailed,
        `certificate ${opened.certSn} belongs to ${s?.code ?? 'no sender'}, not to the SRC ${h.srcEbrId}`,
      );
    if (!h.ebdId.startsWith(`10${h.srcEbrId}`))
      return fail('malformed', EBD_RESULT_CODES.contentInvalid, `EBDID ${h.ebdId} is not one of ${h.srcEbrId}'s`);
    if (h.destEbrId !== this.config.platformResourceCode)
      return fail(
        'out-of-scope',
        EBD_RESULT_CODES.other,
        `addressed to ${h.destEbrId}, not to this platform ${this.config.platformResourceCode}`,
      );
    if (await this.repo.seen('ebd', h.ebdId))
      return fail('replayed', EBD_RESULT_CODES.other, `EBD ${h.ebdId} was received before`);
    const age = now.getTime() - h.time.getTime();
    if (Math.abs(age) > this.config.upstream.maxAgeMs) {
      return fail(
        'replayed',
        EBD_RESULT_CODES.other,
        `EBDTime is ${Math.round(age / 1000)} s ${age > 0 ? 'old' : 'ahead'}; at most ${this.config.upstream.maxAgeMs / 1000} s are taken`,
      );
    }
    return {
      sender: s,
      packet: opened.packet,
      resources: opened.resources,
      verification: 'verified',
      resultCode: EBD_RESULT_CODES.ok,
      detail: null,
      ebdId: h.ebdId,
    };
  }

  private async act(
    packet: EbdPacket,
    sender: UpstreamSenderEntity,
    resources: ArchiveFile[],
  ): Promise<UpstreamOutcome> {
    const p = packet.payload;
    switch (p.type) {
      case 'EBM':
        return this.takeEbm(p.ebm, sender, resources);
      case 'OMDRequest': {
        const now = this.clock.date();
        if (p.request.omdType === OMD_TYPES.brdLog) {
          await this.reporter.sendBrdLog(
            sender,
            p.request.from ?? new Date(now.getTime() - 86_400_000),
            p.request.to ?? now,
          );
        } else if (p.request.omdType === OMD_TYPES.terminalState) {
          await this.reporter.sendTerminalState(sender);
        } else {
          return {
            disposition: 'refused',
            detail: `OMDType ${p.request.omdType} is not answered (only ${Object.values(OMD_TYPES).join(', ')})`,
            alertId: null,
            fault: 'content',
          };
        }
        return {
          disposition: 'answered',
          detail: `${p.request.omdType} queued to ${sender.url ?? '(no URL)'}`,
          alertId: null,
          fault: null,
        };
      }
      case 'ConnectionCheck':
        return { disposition: 'answered', detail: 'connection check', alertId: null, fault: null };
      case 'EBDResponse':
      case 'EBMStateResponse':
      case 'EBMBrdLog':
      case 'EBRDTState':
        return { disposition: 'ignored', detail: `${p.type} is recorded only`, alertId: null, fault: null };
    }
  }

  private async takeEbm(ebm: Ebm, sender: UpstreamSenderEntity, resources: ArchiveFile[]): Promise<UpstreamOutcome> {
    const cancel = ebm.msgType === EBM_MSG_TYPES.cancel;
    let clipId: string | null = null;
    if (!cancel && ebm.auxiliary && ebm.auxiliary.type === AUXILIARY_AUDIO) {
      const file = resources.find((r) => r.name === ebm.auxiliary?.fileName);
      if (!file)
        return {
          disposition: 'refused',
          detail: `Auxiliary names ${ebm.auxiliary.fileName}, which is not in the archive`,
          alertId: null,
          fault: 'content',
        };
      const areas = await this.alerts.areasInCounty(ebm.areaCodes);
      if (areas.length > 0)
        clipId = (
          await this.audio.upload(
            upstreamActor(sender.name),
            { originalname: file.name, size: file.body.length, buffer: file.body },
            ebm.title,
          )
        ).clip.id;
    }
    const outcome = await this.alerts.take({
      source: 'ebd',
      upstreamId: ebm.ebmId,
      relatedUpstreamId: ebm.relatedEbmId,
      action: cancel ? 'cancel' : 'alert',
      sender,
      senderName: sender.name,
      eventType: ebm.eventType,
      severity: ebm.severity,
      title: ebm.title,
      text: ebm.description,
      language: 'zh-CN',
      areaCodes: ebm.areaCodes,
      terminalIds: [],
      audio: clipId ? { kind: 'clip', clipId } : { kind: 'tts' },
      startAt: ebm.startTime,
      endAt: ebm.endTime,
    });
    if (outcome.disposition === 'held' || outcome.disposition === 'replaced')
      await this.reporter.reportWaiting(outcome.alertId, sender);
    return outcome;
  }
}
