import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** One clip of the audio library: an upload, a text-to-speech result or a built-in tone. */
@Entity('audio_clips')
@Index('IDX_audio_clips_kind', ['kind'])
@Index('IDX_audio_clips_processing_by', ['processingBy'])
export class AudioClipEntity {
  /** A UUID, or a stable tone id such as `tone-air-raid`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** upload | tts | tone */
  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  /** pending | processing | ready | failed */
  @Column({ type: 'varchar', length: 16 })
  state!: string;

  /**
   * While processing: the instance doing the work (its DALABA_INSTANCE_ID), whose process holds it in memory; null
   * otherwise. In a cluster, the clips of an instance no longer live are failed (src/audio/library/interrupted-clips.ts).
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  processingBy!: string | null;

  /** Why processing failed. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** The uploaded file's name, the text spoken, or the tone's pattern. */
  @Column({ type: 'text', nullable: true })
  source!: string | null;

  @Column({ type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ type: 'integer', nullable: true })
  createdById!: number | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** One encoding of a clip for a codec profile, stored content-addressed with its digests. */
@Entity('audio_variants')
@Index('IDX_audio_variants_clip_profile', ['clipId', 'profile'], { unique: true })
@Index('IDX_audio_variants_sha', ['sha256'])
export class AudioVariantEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  clipId!: string;

  @Column({ type: 'varchar', length: 32 })
  profile!: string;

  @Column({ type: 'varchar', length: 16 })
  codec!: string;

  @Column({ type: 'varchar', length: 64 })
  mime!: string;

  @Column({ type: 'integer' })
  bitrate!: number;

  @Column({ type: 'integer' })
  sampleRate!: number;

  @Column({ type: 'integer' })
  durationMs!: number;

  @Column({ type: 'integer' })
  sizeBytes!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'varchar', length: 64 })
  sm3!: string;

  /** Path under the clip folder. */
  @Column({ type: 'varchar', length: 100 })
  fileKey!: string;
}
