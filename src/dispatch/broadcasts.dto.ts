import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { PageQueryDto } from '../common/paging';
import { DELIVERY_STATES, type DeliveryState } from './delivery-lifecycle';
import { Optional } from '../common/validation';

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATES })
  @Optional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;

  @ApiPropertyOptional({ description: 'area code: deliveries in its subtree' })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12- or 15-digit area code' })
  areaCode?: string;
}

export class ReportQueryDto {
  @ApiPropertyOptional({ enum: ['csv', 'xlsx'], default: 'csv' })
  @Optional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';
}

/** GET /api/provisioning/tones */
export class ProvisioningQueryDto {
  @ApiPropertyOptional({ description: "only the terminals of this area-code subtree (within the reader's scope)" })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: 'areaCode must be a 12-digit area code or a 15-digit group code' })
  areaCode?: string;
}
