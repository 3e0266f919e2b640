import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MESSAGE_TYPE_KEYS, type MessageTypeKey } from '../../firmware-protocols/codes';
import { PageQueryDto, pageWindow } from '../common/paging';
import { ALERT_STATES, type AlertState } from './alert-lifecycle';
import { AUDIO_KINDS, type AlertAudio, type AudioKind } from './alert.entities';
import type { AlertInput, AlertListQuery } from './alert-input';
import { Line, MAX_ID, Optional, When } from '../common/validation';

const AREA = /^\d{12}(\d{3})?$/;

export class AlertTargetsDto {
  @ApiPropertyOptional({ type: [String], description: 'area codes (county, towns, villages, groups)' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(500)
  @Matches(AREA, { each: true, message: 'each area code must be 12 digits (or 15 for a group)' })
  areaCodes: string[] = [];

  @ApiPropertyOptional({ type: [Number], description: 'single terminals by registry id' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(5000)
  @IsInt({ each: true, message: 'each terminal id must be an integer' })
  @Min(1, { each: true, message: 'each terminal id must be an integer from 1' })
  @Max(MAX_ID, { each: true, message: 'each terminal id must be a row id' })
  terminalIds: number[] = [];
}

export class AlertAudioDto implements AlertAudio {
  @ApiProperty({ enum: AUDIO_KINDS })
  @IsIn(AUDIO_KINDS)
  kind!: AudioKind;

  @ApiPropertyOptional({ description: 'kind clip: a library clip id' })
  @Optional()
  @IsString()
  @MaxLength(64)
  clipId?: string;

  @ApiPropertyOptional({ description: 'kind tone: a built-in tone id such as tone-air-raid' })
  @Optional()
  @IsString()
  @MaxLength(64)
  toneId?: string;

  @ApiPropertyOptional({ description: 'a built-in tone played before the message (joined into one clip)' })
  @Optional()
  @IsString()
  @MaxLength(64)
  toneBefore?: string;
}

export class CreateAlertDto {
  @ApiProperty({ example: '11B03', description: 'event type (5 characters, from the event table)' })
  @Matches(/^[0-9A-Z]{5}$/, { message: 'eventType must be a 5-character event code such as 11B03' })
  eventType!: string;

  @ApiProperty({ minimum: 1, maximum: 4, description: '1 = Ⅰ 特别严重 … 4 = Ⅳ 一般' })
  @IsInt()
  @Min(1)
  @Max(4)
  severity!: number;

  @ApiProperty({ enum: MESSAGE_TYPE_KEYS })
  @IsIn(MESSAGE_TYPE_KEYS)
  messageType!: MessageTypeKey;

  @ApiProperty()
  @Line(128)
  title!: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(5000)
  text?: string;

  @ApiPropertyOptional({ default: 'zh-CN' })
  @Optional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'language must be a language tag such as zh-CN' })
  language?: string;

  @ApiProperty({ type: AlertTargetsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AlertTargetsDto)
  targets!: AlertTargetsDto;

  @ApiProperty({ type: AlertAudioDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AlertAudioDto)
  audio!: AlertAudioDto;

  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 1 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(10)
  repeat?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, default: 80 })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  volume?: number;

  @ApiPropertyOptional({ description: 'ISO time; null or absent: as soon as approved', nullable: true })
  @IsOptional()
  @When({ message: 'startAt must be an ISO 8601 time' })
  startAt?: string | null;

  @ApiProperty({ description: 'ISO time' })
  @When({ message: 'endAt must be an ISO 8601 time' })
  endAt!: string;
}

/** Every field optional; what is sent replaces what was there. */
export class UpdateAlertDto extends PartialType(CreateAlertDto) {}

export class EmergencyAlertDto extends CreateAlertDto {
  @ApiProperty({ description: 'why the review is skipped (recorded and confirmed afterwards)' })
  @IsString()
  @Matches(/\S/, { message: 'reason is required on the emergency path' })
  @MaxLength(2000)
  reason!: string;
}

export class RejectAlertDto {
  @ApiProperty()
  @IsString()
  @Matches(/\S/, { message: 'reason is required' })
  @MaxLength(2000)
  reason!: string;
}

const csv = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').filter(Boolean) : value;

export class AlertListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'comma-separated states', example: 'draft,submitted' })
  @Optional()
  @Transform(csv)
  @IsIn(ALERT_STATES, { each: true })
  state?: AlertState[];

  @ApiPropertyOptional({ description: 'alerts reaching this area subtree' })
  @Optional()
  @Matches(AREA, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
  areaCode?: string;

  @ApiPropertyOptional({ enum: MESSAGE_TYPE_KEYS })
  @Optional()
  @IsIn(MESSAGE_TYPE_KEYS)
  messageType?: MessageTypeKey;

  @ApiPropertyOptional()
  @Optional()
  @Matches(/^[0-9A-Z]{5}$/, { message: 'eventType must be a 5-character event code' })
  eventType?: string;

  @ApiPropertyOptional({ description: 'created at or after (ISO time)' })
  @Optional()
  @When()
  from?: string;

  @ApiPropertyOptional({ description: 'created before (ISO time)' })
  @Optional()
  @When()
  to?: string;
}

export function toInput(dto: CreateAlertDto): AlertInput {
  return {
    eventType: dto.eventType,
    severity: dto.severity,
    messageType: dto.messageType,
    title: dto.title,
    text: dto.text ?? '',
    language: dto.language ?? 'zh-CN',
    targets: { areaCodes: dto.targets.areaCodes ?? [], terminalIds: dto.targets.terminalIds ?? [] },
    audio: audioOf(dto.audio),
    repeat: dto.repeat ?? 1,
    volume: dto.volume ?? 80,
    startAt: dto.startAt ? new Date(dto.startAt) : null,
    endAt: new Date(dto.endAt),
  };
}

export function toPatch(dto: UpdateAlertDto): Partial<AlertInput> {
  return {
    eventType: dto.eventType ?? undefined,
    severity: dto.severity ?? undefined,
    messageType: dto.messageType ?? undefined,
    title: dto.title ?? undefined,
    text: dto.text ?? undefined,
    language: dto.language ?? undefined,
    targets: dto.targets
      ? { areaCodes: dto.targets.areaCodes ?? [], terminalIds: dto.targets.terminalIds ?? [] }
      : undefined,
    audio: dto.audio ? audioOf(dto.audio) : undefined,
    repeat: dto.repeat ?? undefined,
    volume: dto.volume ?? undefined,
    startAt: dto.startAt === undefined ? undefined : dto.startAt === null ? null : new Date(dto.startAt),
    endAt: dto.endAt ? new Date(dto.endAt) : undefined,
  };
}

function audioOf(a: AlertAudioDto): AlertAudio {
  const out: AlertAudio = { kind: a.kind };
  if (a.clipId !== undefined) out.clipId = a.clipId;
  if (a.toneId !== undefined) out.toneId = a.toneId;
  if (a.toneBefore !== undefined) out.toneBefore = a.toneBefore;
  return out;
}

export function toListQuery(q: AlertListQueryDto): AlertListQuery {
  return {
    states: q.state,
    areaCode: q.areaCode,
    messageType: q.messageType,
    eventType: q.eventType,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    ...pageWindow(q),
  };
}
