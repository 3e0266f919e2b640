import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

const CODE = /^\d{12}(\d{3})?$/;
const CODE_MESSAGE = 'must be a 12-digit area code or a 15-digit group code';

export class CreateRegionDto {
  @ApiProperty({ example: '341523100201' })
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code!: string;

  @ApiProperty({ example: '桃园村' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name!: string;
}

export class UpdateRegionDto {
  @ApiPropertyOptional({ example: '桃园村' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name?: string;

  @ApiPropertyOptional({ description: 'a new code under a new parent: moves the region and its descendants' })
  @IsOptional()
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code?: string;
}

export class TreeQueryDto {
  @ApiPropertyOptional({ description: 'the subtree at this area code' })
  @IsOptional()
  @IsString()
  @Matches(CODE, { message: `root ${CODE_MESSAGE}` })
  root?: string;
}
