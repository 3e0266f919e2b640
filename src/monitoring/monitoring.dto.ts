import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '../common/paging';
import type { AlarmKind } from './alarm-causes';
import { ALARM_KINDS, ALARM_STATES, type AlarmState } from './monitoring.entities';

const AREA = /^\d{12}(\d{3})?$/;
const AREA_MESSAGE = 'areaCode must be a 12-digit area code or a 15-digit group code';
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class OnlineRateQueryDto {
  @ApiProperty({ description: 'the region (county, town, village or group)' })
  @Matches(AREA, { message: AREA_MESSAGE })
  areaCode!: string;
}

export class DailyRateQueryDto extends OnlineRateQueryDto {
  @ApiPropertyOptional({ description: 'first day, YYYY-MM-DD (China Standard Time); default 30 days ago' })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a day as YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'last day, YYYY-MM-DD; default today' })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a day as YYYY-MM-DD' })
  to?: string;
}

export class StatusHistoryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'from (ISO 8601); default 24 hours ago' })
  @IsOptional()
  @IsISO8601({}, { message: 'from must be an ISO 8601 time' })
  from?: string;

  @ApiPropertyOptional({ description: 'to (ISO 8601); default now' })
  @IsOptional()
  @IsISO8601({}, { message: 'to must be an ISO 8601 time' })
  to?: string;
}

export class AlarmListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ALARM_STATES })
  @IsOptional()
  @IsIn(ALARM_STATES, { message: `state must be one of ${ALARM_STATES.join(', ')}` })
  state?: AlarmState;

  @ApiPropertyOptional({ enum: ALARM_KINDS })
  @IsOptional()
  @IsIn(ALARM_KINDS, { message: `kind must be one of ${ALARM_KINDS.join(', ')}` })
  kind?: AlarmKind;

  @ApiPropertyOptional({ description: 'area-code subtree' })
  @IsOptional()
  @Matches(AREA, { message: AREA_MESSAGE })
  areaCode?: string;
}
