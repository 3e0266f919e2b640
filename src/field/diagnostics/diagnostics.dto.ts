import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { MAX_RAW_REGISTERS } from '../field-buses';
import { Optional, QueryInt, When } from '../../common/validation';

export class TestToneDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 60, default: 5, description: 'seconds the tone plays' })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(60)
  seconds?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, default: 60 })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  volume?: number;
}

export class VolumeDto {
  @ApiProperty({ minimum: 0, maximum: 100 })
  @IsInt()
  @Min(0)
  @Max(100)
  volume!: number;
}

export class AmplifierDto {
  @ApiProperty()
  @IsBoolean()
  on!: boolean;
}

export class ClockDto {
  @ApiPropertyOptional({ description: 'UTC time to set (ISO 8601); absent = the server clock now' })
  @Optional()
  @When()
  at?: string;
}

export class RegisterReadQueryDto {
  @ApiProperty({ minimum: 0, maximum: 65535 })
  @QueryInt(0, 65535)
  address!: number;

  @ApiProperty({ minimum: 1, maximum: MAX_RAW_REGISTERS })
  @QueryInt(1, MAX_RAW_REGISTERS)
  count!: number;
}
