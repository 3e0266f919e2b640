/**
 * The outbox: every report we owe an upstream platform is sealed (signed tar, stored in the packet store), written as
 * a row, and POSTed to the sender's URL (multipart part `file`) until it is taken — an EBDResponse with ResultCode 1
 * that verifies under the sender's key — with backoff between attempts (2 s doubling to 5 min). Rows survive restarts;
 * a server that starts again goes on with the pending ones.
 *
 * In a cluster the outbox is a singleton (`singleton:upstream-outbox`, docs/cluster.md "Singletons"): only the
 * instance holding it sends; the others only queue rows, which the holder picks up from the database at its next tick.
 * Each attempt first claims its row (the attempt counted, the next one moved past the POST's timeout) in a
 * transaction fenced by the lease, and its outcome is written only while no later attempt claimed the row; so an
 * instance that lost the lease starts no attempt, and a holder that took over waits out an attempt still under way.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { shanghaiDate } from '../../firmware-protocols/codes';
import { composeEbdId, EBD_RESULT_CODES, type EbdPacket, type EbdPayload } from '../../firmware-protocols/ebd';
import { SingletonLease } from '../cluster/singleton-lease';
import { LeaseManager } from '../cluster/lease-manager';
import { StaleLeaseError } from '../cluster/lease-fence';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions } from '../database/transactions';
import { openPacket, sealPacket, type SealedPacket } from './ebd-packets';
import { PacketStore } from './packet-store';
import { UpstreamSigning } from './upstream-signing';
import { UpstreamOutboxEntity, type UpstreamSenderEntity } from './upstream.entities';
import { UpstreamRepository } from './upstream.repository';

const TICK_MS = 1000;
const FIRST_BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 300_000;
const POST_TIMEOUT_MS = 15_000;
/** An attempt's claim on its row: the POST's timeout, and time to read the packet and write the outcome. */
export const OUTBOX_CLAIM_MS = POST_TIMEOUT_MS + 15_000;

/** What happened to one POST. */
export interface PostResult {
  ok: boolean;
  resultCode: number | null;
  detail: string | null;
}

@Injectable()
export class UpstreamOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('UpstreamOutbox');
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly attemptsSubject = new Subject<UpstreamOutboxEntity>();
  private readonly lease: SingletonLease;
  private readonly watch: Subscription;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: UpstreamRepository,
    private readonly transactions: Transactions,
    private readonly store: PacketStore,
    private readonly signing: UpstreamSigning,
    private readonly clock: Clock,
    leases: LeaseManager,
  ) {
    this.lease = new SingletonLease(leases, 'upstream-outbox');
    // a holder that took over sends at once what is due (and what its predecessor left claimed, once that lapses)
    this.watch = this.lease.watch({ gained: () => this.kick() });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.timer.unref();
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.watch.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    this.attemptsSubject.complete();
  }

  /** Every attempt's row as written (sent, pending again with its error, or failed). */
  get attempts(): Observable<UpstreamOutboxEntity> {
    return this.attemptsSubject.asObservable();
  }

  /** Seals a packet of ours (a fresh EBDID, SRC us, DEST the sender) and stores it, without queueing it. */
  async seal(
    destEbrId: string,
    payload: EbdPayload,
    relatedEbdId: string | null = null,
  ): Promise<SealedPacket & { sha256: string }> {
    const now = this.clock.date();
    const ebdId = await this.transactions.run(async (tx) =>
      composeEbdId(this.config.platformResourceCode, now, await this.repo.nextEbdSequence(tx, shanghaiDate(now))),
    );
    const packet: EbdPacket = {
      header: {
        ebdId,
        type: payload.type,
        srcEbrId: this.config.platformResourceCode,
        srcUrl: null,
        destEbrId,
        time: now,
        relatedEbdId,
      },
      payload,
    };
    const sealed = await sealPacket(packet, this.signing);
    return { ...sealed, sha256: await this.store.put(sealed.tar) };
  }

  /** Queues a report to a sender with a URL; returns the row (null when the sender takes no reports). */
  async enqueue(
    sender: UpstreamSenderEntity,
    payload: EbdPayload,
    opts: { alertRef?: string | null; maxAttempts?: number } = {},
  ): Promise<UpstreamOutboxEntity | null> {
    if (!sender.url || !sender.enabled) return null;
    const sealed = await this.seal(sender.code, payload);
    const now = this.clock.date();
    const row = await this.repo.saveOutbox(
      Object.assign(new UpstreamOutboxEntity(), {
        senderId: sender.id,
        url: sender.url,
        ebdId: sealed.ebdId,
        ebdType: payload.type,
        alertRef: opts.alertRef ?? null,
        sha256: sealed.sha256,
        state: 'pending',
        attempts: 0,
        maxAttempts: opts.maxAttempts ?? 20,
        nextAttemptAt: now,
        lastError: null,
        resultCode: null,
        createdAt: now,
        sentAt: null,
      } satisfies Omit<UpstreamOutboxEntity, 'id'>),
    );
    this.kick();
    return row;
  }

  /** Resolves once the pass under way (if any) has ended. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Sends what is due now (again after the current pass if one runs); nothing unless this instance holds the outbox. */
  kick(): void {
    if (this.stopped || !this.lease.holds()) return;
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = this.flush()
      .catch((e: unknown) => this.log.error(`outbox pass failed: ${(e as Error).message}`))
      .finally(() => {
        this.flushing = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async flush(): Promise<void> {
    if (!this.lease.holds()) return;
    for (const row of await this.repo.due(this.clock.date(), 50)) {
      if (this.stopped || !this.lease.holds()) return;
      await this.attempt(row);
    }
  }

  /** One attempt: claim the row, POST, write the outcome (unless a later attempt claimed the row meanwhile). */
  private async attempt(row: UpstreamOutboxEntity): Promise<void> {
    if (!(await this.claim(row))) return;
    const attempts = row.attempts + 1;
    const sender = await this.repo.sender(row.senderId);
    const result = sender
      ? await this.post(row, sender)
      : { ok: false, resultCode: null, detail: 'the sender was removed' };
    const outcome = {
      state: row.state,
      resultCode: result.resultCode,
      lastError: result.ok ? null : result.detail,
      nextAttemptAt: row.nextAttemptAt,
      sentAt: row.sentAt,
    };
    if (result.ok) {
      outcome.state = 'sent';
      outcome.sentAt = this.clock.date();
    } else if (attempts >= row.maxAttempts || !sender) {
      outcome.state = 'failed';
    } else {
      outcome.nextAttemptAt = new Date(
        this.clock.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempts - 1)),
      );
    }
    const saved = await this.repo.finishOutbox(row.id, attempts, outcome);
    if (saved) this.attemptsSubject.next(saved);
    else this.log.warn(`outbox ${row.ebdId}: attempt ${attempts} outlived its claim; a later attempt owns the row`);
  }

  /** Takes the row for one attempt, in a transaction fenced by the outbox's lease; false when it is not ours to send. */
  private async claim(row: UpstreamOutboxEntity): Promise<boolean> {
    const now = this.clock.now();
    try {
      return await this.transactions.run(async (tx) => {
        await this.lease.fence(tx);
        return this.repo.claimOutbox(tx, row.id, row.attempts, new Date(now), new Date(now + OUTBOX_CLAIM_MS));
      });
    } catch (e) {
      if (e instanceof StaleLeaseError) return false;
      throw e;
    }
  }

  private async post(row: UpstreamOutboxEntity, sender: UpstreamSenderEntity): Promise<PostResult> {
    try {
      const tar = await this.store.get(row.sha256);
      const form = new FormData();
      form.append('file', new Blob([tar], { type: 'application/x-tar' }), `EBDT_${row.ebdId}.tar`);
      const res = await fetch(row.url, { method: 'POST', body: form, signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      const body = Buffer.from(await res.arrayBuffer());
      if (!res.ok) return { ok: false, resultCode: null, detail: `HTTP ${res.status}` };
      const opened = await openPacket(body, (certSn) => (certSn === sender.certSn ? sender.publicKey : null));
      if (!opened.ok)
        return {
          ok: false,
          resultCode: null,
          detail: `the answer is not a valid signed EBDResponse: ${opened.detail}`,
        };
      if (opened.packet.payload.type !== 'EBDResponse')
        return {
          ok: false,
          resultCode: null,
          detail: `the answer carries ${opened.packet.payload.type}, not EBDResponse`,
        };
      const r = opened.packet.payload.response;
      return r.resultCode === EBD_RESULT_CODES.ok
        ? { ok: true, resultCode: r.resultCode, detail: null }
        : { ok: false, resultCode: r.resultCode, detail: `EBDResponse ${r.resultCode}: ${r.resultDesc}` };
    } catch (e) {
      return { ok: false, resultCode: null, detail: (e as Error).message.slice(0, 500) };
    }
  }
}
