/**
 * The query of a report over one day and an area (the self-test's missed terminals, the relay's as-run log): the
 * Asia/Shanghai calendar day and an optional area or group code; for its export, the file format. Each report's DTO
 * extends the class DayReportQuery returns, so that the day reads as that report describes it.
 */
import { applyDecorators, type Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { Day, Optional } from './validation';

export interface DayReportQuery {
  date: string;
  areaCode?: string;
}

/** A base class for a report's query, its `date` documented with `dateDescription`. */
export function DayReportQuery(dateDescription: string): Type<DayReportQuery> {
  class DayReportQueryDto implements DayReportQuery {
    @ApiProperty({ example: '2026-12-07', description: dateDescription })
    @Day()
    date!: string;

    @ApiPropertyOptional({ description: "area code: terminals in its subtree (within the reader's scope)" })
    @Optional()
    @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
    areaCode?: string;
  }
  return DayReportQueryDto;
}

/**
 * The export's file format, csv (the default) or xlsx. A decorator rather than a base class: declared on the export's
 * own DTO, it is checked (and its message listed) before the fields the DTO inherits.
 */
export function ExportFormat(): PropertyDecorator {
  // applied in the order written; stacked on the property they would apply bottom-up: the same order
  return applyDecorators(
    IsIn(['csv', 'xlsx']),
    Optional(),
    ApiPropertyOptional({ enum: ['csv', 'xlsx'], default: 'csv' }),
  );
}
