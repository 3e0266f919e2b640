/** How a clip is shown to API clients (pure mapping from rows). */
import type { AudioVariantEntity } from './clip.entities';
import type { ClipKind, ClipRow, ClipState } from './clip.repository';

export interface VariantView {
  /** Numeric id of this encoding: the clip id a terminal stores it under. */
  id: number;
  profile: string;
  codec: string;
  mime: string;
  bitrate: number;
  sampleRate: number;
  durationMs: number;
  sizeBytes: number;
  sm3: string;
  sha256: string;
  url: string;
}

export interface ClipView {
  id: string;
  kind: ClipKind;
  title: string;
  state: ClipState;
  error: string | null;
  source: string | null;
  durationMs: number | null;
  createdById: number | null;
  createdAt: string;
  builtIn: boolean;
  variants: VariantView[];
}

export function clipView(row: ClipRow, variants: AudioVariantEntity[]): ClipView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    state: row.state,
    error: row.error,
    source: row.source,
    durationMs: row.durationMs,
    createdById: row.createdById,
    createdAt: row.createdAt.toISOString(),
    builtIn: row.kind === 'tone',
    variants: variants
      .filter((v) => v.clipId === row.id)
      .map((v) => ({
        id: v.id,
        profile: v.profile,
        codec: v.codec,
        mime: v.mime,
        bitrate: v.bitrate,
        sampleRate: v.sampleRate,
        durationMs: v.durationMs,
        sizeBytes: v.sizeBytes,
        sm3: v.sm3,
        sha256: v.sha256,
        url: `/api/audio/clips/${encodeURIComponent(row.id)}/variants/${v.profile}/content`,
      })),
  };
}
