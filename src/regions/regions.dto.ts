import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { Line, Optional } from '../common/validation';

const CODE = /^\d{12}(\d{3})?$/;
const CODE_MESSAGE = 'must be a 12-digit area code or a 15-digit group code';

export class CreateRegionDto {
  @ApiProperty({ example: '341523100201' })
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code!: string;

  @ApiProperty({ example: '桃园村' })
  @Line(64)
  name!: string;
}

export class UpdateRegionDto {
  @ApiPropertyOptional({ example: '桃园村' })
  @Optional()
  @Line(64)
  name?: string;

  @ApiPropertyOptional({ description: 'a new code under a new parent: moves the region and its descendants' })
  @Optional()
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code?: string;
}

export class TreeQueryDto {
  @ApiPropertyOptional({ description: 'the subtree at this area code' })
  @Optional()
  @IsString()
  @Matches(CODE, { message: `root ${CODE_MESSAGE}` })
  root?: string;
}
