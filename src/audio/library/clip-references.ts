/**
 * Who still needs a clip. Features that refer to clips (alerts, schedules) register a source at module init; deleting
 * a clip asks every source and is refused (409) while any of them answers with a reference.
 *
 *   constructor(refs: ClipReferences, private readonly alerts: AlertRepository) {
 *     refs.register({ name: 'alert', find: (clipId, tx) => alerts.referencesToClip(clipId, tx) });
 *   }
 */
import { Injectable } from '@nestjs/common';
import { ConflictError } from '../../common/errors';
import type { Tx } from '../../database/transactions';

export interface ClipReference {
  /** What refers to the clip ("alert", "schedule"). */
  kind: string;
  /** Its id, as the feature shows it. */
  id: string | number;
  /** A human label (alert title, schedule name). */
  label?: string;
}

export interface ClipReferenceSource {
  name: string;
  /** References to the clip, read inside the deletion's transaction when one is given. */
  find(clipId: string, tx?: Tx): Promise<ClipReference[]>;
}

@Injectable()
export class ClipReferences {
  private readonly sources = new Map<string, ClipReferenceSource>();

  register(source: ClipReferenceSource): void {
    if (this.sources.has(source.name)) throw new Error(`clip reference source "${source.name}" is already registered`);
    this.sources.set(source.name, source);
  }

  async find(clipId: string, tx?: Tx): Promise<ClipReference[]> {
    const found = await Promise.all([...this.sources.values()].map((s) => s.find(clipId, tx)));
    return found.flat();
  }

  /** Throws 409 `clip_in_use` naming the first references when the clip is still referred to. */
  async assertUnreferenced(clipId: string, tx?: Tx): Promise<void> {
    const refs = await this.find(clipId, tx);
    if (refs.length === 0) return;
    const names = refs.slice(0, 5).map((r) => `${r.kind} ${r.id}${r.label ? ` (${r.label})` : ''}`);
    const more = refs.length > 5 ? ` and ${refs.length - 5} more` : '';
    throw new ConflictError('clip_in_use', `clip ${clipId} is still used by ${names.join(', ')}${more}`, {
      clipId,
      references: refs,
    });
  }
}
