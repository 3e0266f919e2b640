import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDateString, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_RAW_REGISTERS } from '../field-buses';

export class TestToneDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 60, default: 5, description: 'seconds the tone plays' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(60)
  seconds?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, default: 60 })
  @IsOptional()
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
  @IsOptional()
  @IsDateString({ strict: true })
  at?: string;
}

export class RegisterReadQueryDto {
  @ApiProperty({ minimum: 0, maximum: 65535 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  address!: number;

  @ApiProperty({ minimum: 1, maximum: MAX_RAW_REGISTERS })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RAW_REGISTERS)
  count!: number;
}
