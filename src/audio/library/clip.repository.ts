/** Clip and variant rows (TypeORM), behind the one class the audio services use. */
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
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

@Injectable()
export class ClipRepository {
  constructor(private readonly dataSource: DataSource) {}

  private em(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  async insertClip(row: ClipRow, tx?: Tx): Promise<void> {
    await this.em(tx).insert(AudioClipEntity, row);
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

  async updateClip(
    id: string,
    patch: Partial<Pick<ClipRow, 'state' | 'error' | 'durationMs'>>,
    tx?: Tx,
  ): Promise<void> {
    await this.em(tx).update(AudioClipEntity, { id }, patch);
  }

  /** Marks the clip processing if it is in one of `from`; true when this call did (one instance of a cluster wins). */
  async claim(id: string, from: readonly ClipRow['state'][]): Promise<boolean> {
    const r = await this.em().update(
      AudioClipEntity,
      { id, state: In([...from]) },
      { state: 'processing', error: null },
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

  /** After a restart: uploads and syntheses that were in progress have lost their work files. */
  async failInterrupted(): Promise<number> {
    const result = await this.em().update(
      AudioClipEntity,
      { state: 'processing', kind: In(['upload', 'tts']) },
      { state: 'failed', error: 'interrupted by a server restart; upload or synthesise again' },
    );
    return result.affected ?? 0;
  }

  async countAll(): Promise<{ clips: number; variants: number }> {
    return { clips: await this.em().count(AudioClipEntity), variants: await this.em().count(AudioVariantEntity) };
  }
}
