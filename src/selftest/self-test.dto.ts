import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { DayReportQuery, ExportFormat } from '../common/day-report-query';
import { Optional, QueryInt } from '../common/validation';

export class MissedQueryDto extends DayReportQuery('Asia/Shanghai calendar day whose nightly self-test is reported') {}

export class MissedExportQueryDto extends MissedQueryDto {
  @ExportFormat()
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
