/** Clip and variant rows (TypeORM), behind the one class the audio services use. */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager, In, Not, IsNull } from 'typeorm';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { managerOf, type Tx } from '../../database/transactions';
import { AudioClipEntity, AudioVariantEntity } from './clip.entities';

/** composed: clips played one after the other (a tone before a message). */
export type ClipKind = 'upload' | 'tts' | 'tone' | 'composed';
/** pending: a built-in tone not generated yet. */
export type ClipState = 'pending' | 'processing' | 'ready' | 'failed';

export interface ClipRow {
  id: string;
  kind: ClipKind;
  title: string;
  state: ClipState;
  error: string | null;
  source: string | null;
  durationMs: number | null;
  createdById: number | null;
  createdAt: Date;
}

export type VariantRow = Omit<AudioVariantEntity, 'id'> & { id?: number };

export interface ClipListQuery {
  kind?: ClipKind;
  limit: number;
  offset: number;
}

/** The error of an upload or synthesis whose process restarted while it was processing. */
export const RESTARTED = 'interrupted by a server restart; upload, synthesise or compose again';

/** Kinds whose work, lost with its process, cannot be taken up again: the user starts it over. */
const USER_WORK = ['upload', 'tts', 'composed'];

@Injectable()
export class ClipRepository {
  /** This instance's id (DALABA_INSTANCE_ID), recorded on the clips it processes; null without a configuration. */
  private readonly instanceId: string | null;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(APP_CONFIG) app?: Pick<AppConfig, 'cluster'>,
  ) {
    this.instanceId = app?.cluster.instanceId ?? null;
  }

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  /** A clip inserted `processing` is this instance's work. */
  async insertClip(row: ClipRow, tx?: Tx): Promise<void> {
    await this.em(tx).insert(AudioClipEntity, {
      ...row,
      processingBy: row.state === 'processing' ? this.instanceId : null,
    });
  }

  async findClip(id: string, tx?: Tx): Promise<ClipRow | null> {
    return (await this.em(tx).findOneBy(AudioClipEntity, { id })) as ClipRow | null;
  }

  async listClips(q: ClipListQuery): Promise<{ rows: ClipRow[]; total: number }> {
    const [rows, total] = await this.em().findAndCount(AudioClipEntity, {
      where: q.kind ? { kind: q.kind } : {},
      order: { createdAt: 'DESC', id: 'ASC' },
      take: q.limit,
      skip: q.offset,
    });
    return { rows: rows as ClipRow[], total };
  }

  /** A clip leaving `processing` is nobody's work any more. */
  async updateClip(
    id: string,
    patch: Partial<Pick<ClipRow, 'state' | 'error' | 'durationMs'>>,
    tx?: Tx,
  ): Promise<void> {
    const released = patch.state !== undefined && patch.state !== 'processing';
    await this.em(tx).update(AudioClipEntity, { id }, released ? { ...patch, processingBy: null } : patch);
  }

  /**
   * Marks the clip processing, by this instance, if it is in one of `from`; true when this call did (one instance of
   * a cluster wins).
   */
  async claim(id: string, from: readonly ClipRow['state'][]): Promise<boolean> {
    const r = await this.em().update(
      AudioClipEntity,
      { id, state: In([...from]) },
      { state: 'processing', error: null, processingBy: this.instanceId },
    );
    return (r.affected ?? 0) > 0;
  }

  async insertVariants(rows: VariantRow[], tx?: Tx): Promise<void> {
    if (rows.length > 0) await this.em(tx).insert(AudioVariantEntity, rows);
  }

  async variantsOf(clipIds: string[], tx?: Tx): Promise<AudioVariantEntity[]> {
    if (clipIds.length === 0) return [];
    return this.em(tx).find(AudioVariantEntity, { where: { clipId: In(clipIds) }, order: { id: 'ASC' } });
  }

  /** Deletes the clip and its variants; returns the file keys no other variant still uses. */
  async deleteClip(id: string, tx: Tx): Promise<string[]> {
    const em = managerOf(tx);
    const variants = await em.find(AudioVariantEntity, { where: { clipId: id } });
    await em.delete(AudioVariantEntity, { clipId: id });
    await em.delete(AudioClipEntity, { id });
    const orphaned: string[] = [];
    for (const v of variants) {
      if ((await em.countBy(AudioVariantEntity, { fileKey: v.fileKey })) === 0) orphaned.push(v.fileKey);
    }
    return orphaned;
  }

  async isFileUsed(fileKey: string): Promise<boolean> {
    return (await this.em().countBy(AudioVariantEntity, { fileKey })) > 0;
  }

  /**
   * Work whose process is gone (it held the work files and the job): uploads, syntheses and compositions processing are failed
   * with `reason`, tones processing go back to pending (generated again on first use). `by`: only the clips that
   * instance was processing (a cluster); undefined: every clip processing (a single instance, at start). The uploads
   * and syntheses failed are counted.
   */
  async failInterrupted(reason = RESTARTED, by?: string): Promise<number> {
    const owned = by === undefined ? {} : { processingBy: by };
    const result = await this.em().update(
      AudioClipEntity,
      { ...owned, state: 'processing', kind: In(USER_WORK) },
      { state: 'failed', error: reason, processingBy: null },
    );
    await this.em().update(
      AudioClipEntity,
      { ...owned, state: 'processing', kind: 'tone' },
      { state: 'pending', processingBy: null },
    );
    return result.affected ?? 0;
  }

  /** The instances processing clips now, by id. */
  async processingBy(): Promise<string[]> {
    const rows = await this.em()
      .createQueryBuilder(AudioClipEntity, 'c')
      .select('DISTINCT c.processingBy', 'instance')
      .where({ processingBy: Not(IsNull()), state: 'processing' })
      .getRawMany<{ instance: string }>();
    return rows.map((r) => r.instance).sort();
  }

  async countAll(): Promise<{ clips: number; variants: number }> {
    return { clips: await this.em().count(AudioClipEntity), variants: await this.em().count(AudioVariantEntity) };
  }
}
