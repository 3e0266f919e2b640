import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { Day, Optional, QueryInt } from '../common/validation';

export class MissedQueryDto {
  @ApiProperty({ example: '2026-12-07', description: 'Asia/Shanghai calendar day whose nightly self-test is reported' })
  @Day()
  date!: string;

  @ApiPropertyOptional({ description: "area code: terminals in its subtree (within the reader's scope)" })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
  areaCode?: string;
}

export class MissedExportQueryDto extends MissedQueryDto {
  @ApiPropertyOptional({ enum: ['csv', 'xlsx'], default: 'csv' })
  @Optional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';
}

export class HistoryQueryDto {
  @ApiPropertyOptional({ default: 10, minimum: 1, maximum: 100 })
  @Optional()
  @QueryInt(1, 100)
  limit?: number;
}

export class AudiblePlanDto {
  @ApiProperty({ description: 'Off by default: the county hears nothing until it is turned on' })
  @IsBoolean()
  enabled!: boolean;

  @ApiProperty({ minimum: 1, maximum: 28, description: 'Day of the month (1–28, so that every month has it)' })
  @IsInt()
  @Min(1)
  @Max(28)
  dayOfMonth!: number;

  @ApiProperty({ example: '10:00', description: 'Asia/Shanghai wall time HH:MM' })
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'time must be HH:MM' })
  time!: string;

  @ApiProperty({ minimum: 1, maximum: 120, description: 'Length of the test tone, seconds' })
  @IsInt()
  @Min(1)
  @Max(120)
  seconds!: number;

  @ApiProperty({ minimum: 0, maximum: 100 })
  @IsInt()
  @Min(0)
  @Max(100)
  volume!: number;
}
