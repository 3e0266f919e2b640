import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { PageQueryDto } from '../common/paging';
import type { AlarmKind } from './alarm-causes';
import { ALARM_KINDS, ALARM_STATES, type AlarmState } from './monitoring.entities';
import { Day, Optional, When } from '../common/validation';

const AREA = /^\d{12}(\d{3})?$/;
const AREA_MESSAGE = 'areaCode must be a 12-digit area code or a 15-digit group code';

export class OnlineRateQueryDto {
  @ApiProperty({ description: 'the region (county, town, village or group)' })
  @Matches(AREA, { message: AREA_MESSAGE })
  areaCode!: string;
}

export class DailyRateQueryDto extends OnlineRateQueryDto {
  @ApiPropertyOptional({ description: 'first day, YYYY-MM-DD (China Standard Time); default 30 days ago' })
  @Optional()
  @Day({ message: 'from must be a day as YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'last day, YYYY-MM-DD; default today' })
  @Optional()
  @Day({ message: 'to must be a day as YYYY-MM-DD' })
  to?: string;
}

export class StatusHistoryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'from (ISO 8601); default 24 hours ago' })
  @Optional()
  @When({ message: 'from must be an ISO 8601 time' })
  from?: string;

  @ApiPropertyOptional({ description: 'to (ISO 8601); default now' })
  @Optional()
  @When({ message: 'to must be an ISO 8601 time' })
  to?: string;
}

export class AlarmListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ALARM_STATES })
  @Optional()
  @IsIn(ALARM_STATES, { message: `state must be one of ${ALARM_STATES.join(', ')}` })
  state?: AlarmState;

  @ApiPropertyOptional({ enum: ALARM_KINDS })
  @Optional()
  @IsIn(ALARM_KINDS, { message: `kind must be one of ${ALARM_KINDS.join(', ')}` })
  kind?: AlarmKind;

  @ApiPropertyOptional({ description: 'area-code subtree' })
  @Optional()
  @Matches(AREA, { message: AREA_MESSAGE })
  areaCode?: string;
}
