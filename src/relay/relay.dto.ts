import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AlertTargetsDto } from '../alerts/alerts.dto';
import { DayReportQuery, ExportFormat } from '../common/day-report-query';
import { Day, Line, MAX_ID, Optional, QueryInt } from '../common/validation';
import { RECURRENCE_KINDS, type Recurrence, type RecurrenceKind } from './recurrence';
import { FM_MAX, FM_MIN, MAX_PLAYLIST } from './relay-rules';
import {
  PRIORITY_CLASSES,
  SOURCE_KINDS,
  type PriorityClass,
  type ProgrammeSource,
  type ProgrammeSourceKind,
} from './relay.entities';
import type { ProgrammeInput } from './programmes.service';

const TIME = /^\d{2}:\d{2}(:\d{2})?$/;

export class SourceDto {
  @ApiProperty({ enum: SOURCE_KINDS })
  @IsIn(SOURCE_KINDS)
  kind!: ProgrammeSourceKind;

  @ApiPropertyOptional({
    minimum: FM_MIN,
    maximum: FM_MAX,
    description: 'fm: frequency in 10 kHz units (9530 = 95.3 MHz)',
  })
  @Optional()
  @IsInt()
  @Min(FM_MIN, { message: 'frequency must be at least 8750 (87.5 MHz, in 10 kHz units)' })
  @Max(FM_MAX, { message: 'frequency must be at most 10800 (108.0 MHz, in 10 kHz units)' })
  frequency?: number;

  @ApiPropertyOptional({ minimum: 87.5, maximum: 108, description: 'fm: frequency in MHz (instead of frequency)' })
  @Optional()
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(87.5, { message: 'frequencyMHz must be at least 87.5' })
  @Max(108, { message: 'frequencyMHz must be at most 108.0' })
  frequencyMHz?: number;

  @ApiPropertyOptional({ description: 'line-in: input channel' })
  @Optional()
  @IsInt()
  channel?: number;

  @ApiPropertyOptional({ description: 'ip: stream index' })
  @Optional()
  @IsInt()
  stream?: number;

  @ApiPropertyOptional({ type: [String], description: 'playlist: library clip ids, played in order' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_PLAYLIST)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  clipIds?: string[];
}

export class CreateProgrammeDto {
  @ApiProperty({ example: '县台新闻转播' })
  @Line(200)
  name!: string;

  @ApiProperty({ type: SourceDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SourceDto)
  source!: SourceDto;

  @ApiPropertyOptional({ type: SourceDto, description: 'played when the main source is weak or dead (the watch)' })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => SourceDto)
  fallback?: SourceDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'signal quality below which the watch falls back' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  minSignalQuality?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, default: 70 })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  volume?: number;

  @ApiProperty({ enum: PRIORITY_CLASSES, description: 'county 6 above town 7 above village 8; all below emergencies' })
  @IsIn(PRIORITY_CLASSES)
  priorityClass!: PriorityClass;

  @ApiProperty({ type: AlertTargetsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AlertTargetsDto)
  targets!: AlertTargetsDto;
}

export class UpdateProgrammeDto extends PartialType(CreateProgrammeDto) {}

function sourceOf(s: SourceDto): ProgrammeSource {
  const { frequencyMHz, ...rest } = s;
  const out: ProgrammeSource = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  ) as unknown as ProgrammeSource;
  if (frequencyMHz !== undefined && out.frequency === undefined) out.frequency = Math.round(frequencyMHz * 100);
  return out;
}

export function toProgrammeInput(d: CreateProgrammeDto): ProgrammeInput {
  return {
    name: d.name,
    source: sourceOf(d.source),
    fallback: d.fallback ? sourceOf(d.fallback) : null,
    minSignalQuality: d.minSignalQuality ?? null,
    volume: d.volume ?? 70,
    priorityClass: d.priorityClass,
    targets: { areaCodes: d.targets.areaCodes ?? [], terminalIds: d.targets.terminalIds ?? [] },
  };
}

export function toProgrammePatch(d: UpdateProgrammeDto): Partial<ProgrammeInput> {
  return {
    name: d.name,
    source: d.source ? sourceOf(d.source) : undefined,
    fallback: d.fallback ? sourceOf(d.fallback) : undefined,
    minSignalQuality: d.minSignalQuality,
    volume: d.volume,
    priorityClass: d.priorityClass,
    targets: d.targets ? { areaCodes: d.targets.areaCodes ?? [], terminalIds: d.targets.terminalIds ?? [] } : undefined,
  };
}

export class RecurrenceDto {
  @ApiProperty({ enum: RECURRENCE_KINDS })
  @IsIn(RECURRENCE_KINDS)
  kind!: RecurrenceKind;

  @ApiPropertyOptional({ type: [Number], description: 'weekly: ISO weekdays 1 Monday … 7 Sunday' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(7)
  @IsInt({ each: true })
  weekdays?: number[];

  @ApiPropertyOptional({ type: [String], description: 'dates: the days; once: the one day (yyyy-mm-dd)' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(366)
  @Day({ each: true })
  dates?: string[];

  @ApiPropertyOptional({ description: 'daily, weekdays, weekly: first day (yyyy-mm-dd)' })
  @Optional()
  @Day()
  from?: string;

  @ApiPropertyOptional({ description: 'daily, weekdays, weekly: last day, inclusive (absent: open-ended)' })
  @Optional()
  @Day()
  until?: string;

  @ApiProperty({ example: '12:00', description: 'Asia/Shanghai wall time HH:MM[:SS]' })
  @Matches(TIME, { message: 'start must be a time HH:MM or HH:MM:SS' })
  start!: string;

  @ApiProperty({ example: '12:30', description: 'after start on the same day, at most 24:00' })
  @Matches(TIME, { message: 'end must be a time HH:MM or HH:MM:SS' })
  end!: string;

  @ApiPropertyOptional({ type: [String], description: 'days it does not play (holidays), yyyy-mm-dd' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(366)
  @Day({ each: true })
  exceptDates?: string[];

  @ApiPropertyOptional({ type: [String], description: 'ISO weeks it does not play, 2026-W41' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(53)
  @Matches(/^\d{4}-W\d{2}$/, { each: true, message: 'each skipped week must be an ISO week such as 2026-W41' })
  exceptWeeks?: string[];
}

export function toRecurrence(d: RecurrenceDto): Recurrence {
  return {
    kind: d.kind,
    weekdays: [...new Set(d.weekdays ?? [])].sort((a, b) => a - b),
    dates: [...new Set(d.dates ?? [])].sort(),
    from: d.from ?? null,
    until: d.until ?? null,
    start: d.start,
    end: d.end,
    exceptDates: [...new Set(d.exceptDates ?? [])].sort(),
    exceptWeeks: [...new Set(d.exceptWeeks ?? [])].sort(),
  };
}

export class CreateScheduleDto {
  @ApiProperty({ description: 'the programme it plays' })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  programmeId!: number;

  @ApiProperty({ type: RecurrenceDto })
  @IsObject()
  @ValidateNested()
  @Type(() => RecurrenceDto)
  recurrence!: RecurrenceDto;
}

export class UpdateScheduleDto {
  @ApiProperty({ type: RecurrenceDto })
  @IsObject()
  @ValidateNested()
  @Type(() => RecurrenceDto)
  recurrence!: RecurrenceDto;
}

export class RejectScheduleDto {
  @ApiProperty()
  @Line(500)
  reason!: string;
}

export class ScheduleListQueryDto {
  @ApiProperty({ description: 'the programme whose schedules to list' })
  @QueryInt(1, MAX_ID)
  programmeId!: number;
}

export class DayQueryDto {
  @ApiProperty({ example: '2026-12-07', description: 'Asia/Shanghai calendar day' })
  @Day()
  date!: string;

  @ApiPropertyOptional({ description: "area code: terminals in its subtree (within the reader's scope)" })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
  areaCode?: string;

  @ApiPropertyOptional({ description: 'one terminal instead of a region' })
  @Optional()
  @QueryInt(1, MAX_ID)
  terminalId?: number;
}

export class AsRunQueryDto extends DayReportQuery('Asia/Shanghai calendar day') {}

export class AsRunExportQueryDto extends AsRunQueryDto {
  @ExportFormat()
  format?: 'csv' | 'xlsx';
}

export class WeekQueryDto {
  @ApiProperty({
    example: '2026-12-07',
    description: 'first day of the week (Asia/Shanghai; the console asks from Monday)',
  })
  @Day()
  from!: string;

  @ApiPropertyOptional({ description: "area code: schedules whose programme reaches it (within the reader's scope)" })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
  areaCode?: string;
}
