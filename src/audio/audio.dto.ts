/** Request and response shapes of /api/audio, documented for OpenAPI. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNumber, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { AudioFeature } from './media/audio-tools';
import type { JobKind, JobState } from './jobs/audio-jobs';
import type { ClipKind, ClipState } from './library/clip.repository';
import { PageQueryDto } from '../common/paging';
import { Optional } from '../common/validation';

const CLIP_KINDS: ClipKind[] = ['upload', 'tts', 'tone', 'composed'];

export class ClipListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CLIP_KINDS })
  @Optional()
  @IsIn(CLIP_KINDS)
  kind?: ClipKind;
}

/** The multipart fields besides `file` (which multer takes; see UPLOAD_BODY_SCHEMA). */
export class UploadClipDto {
  @ApiPropertyOptional({ maxLength: 200, description: 'defaults to the file name' })
  @Optional()
  @IsString()
  @MaxLength(200)
  title?: string;
}

export const UPLOAD_BODY_SCHEMA = {
  type: 'object' as const,
  required: ['file'],
  properties: {
    file: { type: 'string' as const, format: 'binary', description: 'WAV, MP3, AAC/M4A, AMR or OGG' },
    title: { type: 'string' as const, maxLength: 200, description: 'defaults to the file name' },
  },
};

export class SpeechRequestDto {
  @ApiProperty({
    example: '2024年10月23日 14:30 起，我县将出现暴雨天气，请注意防范。',
    description: 'Mandarin text; numbers, dates and times are read the Chinese way',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text!: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @Optional()
  @IsString()
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional({ minimum: 0.5, maximum: 2, default: 1, description: 'speaking rate, 1 = 150 words per minute' })
  @Optional()
  @IsNumber()
  @Min(0.5)
  @Max(2)
  speed?: number;

  @ApiPropertyOptional({ minimum: 10, maximum: 200, default: 100, description: 'percent of the loudness target' })
  @Optional()
  @IsNumber()
  @Min(10)
  @Max(200)
  volume?: number;
}

export class PhonemesRequestDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text!: string;
}

export class VariantDto {
  @ApiProperty({ description: 'numeric id of this encoding: the clip id a terminal stores it under' }) id!: number;
  @ApiProperty({ example: 'opus-16k' }) profile!: string;
  @ApiProperty({ example: 'opus' }) codec!: string;
  @ApiProperty({ example: 'audio/ogg; codecs=opus' }) mime!: string;
  @ApiProperty({ example: 16000 }) bitrate!: number;
  @ApiProperty() sampleRate!: number;
  @ApiProperty() durationMs!: number;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ description: 'SM3 digest of the file, hex' }) sm3!: string;
  @ApiProperty({ description: 'SHA-256 of the file (its storage address), hex' }) sha256!: string;
  @ApiProperty({ description: 'where to fetch it (HTTP range requests supported)' }) url!: string;
}

export class ClipDto {
  @ApiProperty({ example: 'tone-air-raid' }) id!: string;
  @ApiProperty({ enum: CLIP_KINDS }) kind!: ClipKind;
  @ApiProperty() title!: string;
  @ApiProperty({
    enum: ['pending', 'processing', 'ready', 'failed'],
    description: 'pending: a built-in tone generated on first use',
  })
  state!: ClipState;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) source!: string | null;
  @ApiProperty({ nullable: true, type: Number }) durationMs!: number | null;
  @ApiProperty({ nullable: true, type: Number }) createdById!: number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'a built-in tone (never deleted)' }) builtIn!: boolean;
  @ApiProperty({ type: [VariantDto] }) variants!: VariantDto[];
}

export class ClipPageDto {
  @ApiProperty({ type: [ClipDto] }) items!: ClipDto[];
  @ApiProperty() total!: number;
}

export class JobDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['upload', 'tts', 'tone'] }) kind!: JobKind;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] }) state!: JobState;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
  @ApiProperty() clipId!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) finishedAt!: Date | null;
}

export class ClipStartedDto {
  @ApiProperty({ type: ClipDto }) clip!: ClipDto;
  @ApiProperty({ type: JobDto, description: 'poll GET /api/audio/jobs/{id} for progress' }) job!: JobDto;
}

export class PhonemesDto {
  @ApiProperty({ description: 'the text after normalisation, as the engine receives it' }) spokenText!: string;
  @ApiProperty({ description: "the engine's phoneme transcription" }) phonemes!: string;
}

class ToolStatusDto {
  @ApiProperty() name!: string;
  @ApiProperty() available!: boolean;
  @ApiProperty() detail!: string;
  @ApiProperty({ description: 'Where the tool comes from: the configured path, an npm package, or PATH.' })
  origin!: string;
}

class FeatureOffDto {
  @ApiProperty({ enum: ['upload', 'tts', 'tones', 'preview'] }) feature!: AudioFeature;
  @ApiProperty() reason!: string;
}

export class AudioCapabilitiesDto {
  @ApiProperty({ type: [ToolStatusDto] }) tools!: ToolStatusDto[];
  @ApiProperty({ example: { upload: true, tts: true, tones: true, preview: true } }) features!: Record<
    AudioFeature,
    boolean
  >;
  @ApiProperty({ type: [FeatureOffDto] }) off!: FeatureOffDto[];
}

export class CodecProfileDto {
  @ApiProperty() id!: string;
  @ApiProperty() codec!: string;
  @ApiProperty() container!: string;
  @ApiProperty() mime!: string;
  @ApiProperty() bitrate!: number;
  @ApiProperty() sampleRate!: number;
  @ApiProperty() channels!: number;
  @ApiProperty() purpose!: string;
}
