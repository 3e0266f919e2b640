/** Senders (admins register their certificates and policy), the inbox of upstream messages and the outbox, for the console. */
import { Inject, Injectable } from '@nestjs/common';
import { isResourceCode } from '../../firmware-protocols/codes';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../auth/auth-user';
import { Clock } from '../common/clock';
import { ConflictError, NotFoundError, ValidationFailedError } from '../common/errors';
import type { Page } from '../common/paging';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Transactions } from '../database/transactions';
import { PacketStore } from './packet-store';
import { UpstreamSigning } from './upstream-signing';
import { UpstreamSenderEntity, type UpstreamMessageEntity, type UpstreamOutboxEntity } from './upstream.entities';
import type { CreateSenderDto, UpdateSenderDto } from './upstream.dto';
import { UpstreamRepository } from './upstream.repository';

export interface MessageDetail extends UpstreamMessageEntity {
  alert: { id: number; state: string; broadcastId: string | null; title: string } | null;
  /** Reports sent up about the alert it made. */
  reports: UpstreamOutboxEntity[];
}

@Injectable()
export class UpstreamService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: UpstreamRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly store: PacketStore,
    private readonly signing: UpstreamSigning,
    private readonly clock: Clock,
  ) {}

  certificate(): { ebrId: string; certSn: string; publicKey: string; algorithm: string } {
    return {
      ebrId: this.config.platformResourceCode,
      certSn: this.signing.certSn,
      publicKey: this.signing.publicKey,
      algorithm: 'SM2-SM3',
    };
  }

  senders(): Promise<UpstreamSenderEntity[]> {
    return this.repo.senders();
  }

  async createSender(dto: CreateSenderDto, user: AuthUser): Promise<UpstreamSenderEntity> {
    if (dto.kind === 'ebd') {
      const fields: { field: string; message: string }[] = (['certSn', 'publicKey'] as const)
        .filter((k) => !dto[k])
        .map((f) => ({ field: f, message: `${f} is required for an EBD sender` }));
      if (!isResourceCode(dto.code))
        fields.unshift({ field: 'code', message: 'code must be the 23-digit EBRID of an EBD sender' });
      if (fields.length)
        throw new ValidationFailedError(`invalid sender: ${fields.map((f) => f.field).join(', ')}`, fields);
    }
    if (await this.repo.senderByCode(dto.kind, dto.code))
      throw new ConflictError('sender_exists', `a ${dto.kind} sender ${dto.code} is registered already`, {
        code: dto.code,
      });
    const now = this.clock.date();
    return this.transactions.run(async (tx) => {
      const saved = await this.repo.saveSender(
        tx,
        Object.assign(new UpstreamSenderEntity(), {
          kind: dto.kind,
          code: dto.code,
          name: dto.name,
          certSn: dto.certSn ?? null,
          publicKey: dto.publicKey?.toLowerCase() ?? null,
          url: dto.url ?? null,
          dispatchSeverities: [...new Set(dto.dispatchSeverities ?? [])].sort(),
          enabled: dto.enabled ?? true,
          createdAt: now,
          updatedAt: now,
        } satisfies Omit<UpstreamSenderEntity, 'id'>),
      );
      await this.audit.record(
        {
          actor: user,
          action: 'upstream.sender_create',
          entityType: 'upstream_sender',
          entityId: saved.id,
          after: saved,
        },
        tx,
      );
      return saved;
    });
  }

  async updateSender(id: number, dto: UpdateSenderDto, user: AuthUser): Promise<UpstreamSenderEntity> {
    return this.transactions.run(async (tx) => {
      const s = await this.repo.sender(id, tx);
      if (!s) throw new NotFoundError('upstream sender', id);
      const before = { ...s };
      const patch = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as UpdateSenderDto;
      if (patch.dispatchSeverities) patch.dispatchSeverities = [...new Set(patch.dispatchSeverities)].sort();
      if (patch.publicKey) patch.publicKey = patch.publicKey.toLowerCase();
      Object.assign(s, patch, { updatedAt: this.clock.date() });
      const saved = await this.repo.saveSender(tx, s);
      await this.audit.record(
        {
          actor: user,
          action: 'upstream.sender_update',
          entityType: 'upstream_sender',
          entityId: id,
          before,
          after: saved,
        },
        tx,
      );
      return saved;
    });
  }

  async deleteSender(id: number, user: AuthUser): Promise<void> {
    await this.transactions.run(async (tx) => {
      const s = await this.repo.sender(id, tx);
      if (!s) throw new NotFoundError('upstream sender', id);
      await this.repo.deleteSender(tx, id);
      await this.audit.record(
        { actor: user, action: 'upstream.sender_delete', entityType: 'upstream_sender', entityId: id, before: s },
        tx,
      );
    });
  }

  messages(q: {
    kind?: 'ebd' | 'cap';
    verification?: string;
    limit: number;
    offset: number;
  }): Promise<Page<UpstreamMessageEntity>> {
    return this.repo.messages(q);
  }

  async message(id: number): Promise<MessageDetail> {
    const m = await this.repo.message(id);
    if (!m) throw new NotFoundError('upstream message', id);
    const alert = m.alertId !== null ? await this.repo.alert(m.alertId) : null;
    const reports = alert?.upstreamId
      ? (await this.repo.outbox({ limit: 100, offset: 0 })).items.filter((o) => o.alertRef === alert.upstreamId)
      : [];
    return {
      ...m,
      alert: alert ? { id: alert.id, state: alert.state, broadcastId: alert.broadcastId, title: alert.title } : null,
      reports,
    };
  }

  async raw(id: number): Promise<{ name: string; body: Buffer }> {
    const m = await this.repo.message(id);
    if (!m) throw new NotFoundError('upstream message', id);
    return { name: m.fileName, body: await this.store.get(m.sha256) };
  }

  outbox(q: { state?: string; limit: number; offset: number }): Promise<Page<UpstreamOutboxEntity>> {
    return this.repo.outbox(q);
  }
}
