import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto, pageWindow } from '../common/paging';
import type { Paging } from './gateways.repository';
import { GATEWAY_KINDS, PARITIES } from './registry.entities';
import { Day, Line, MAX_ID, Optional, QueryInt } from '../common/validation';

const AREA = /^\d+$/;
const AREA_MESSAGE = 'areaCode must be a 12-digit area code or a 15-digit group code';
const RESOURCE = /^\d{23}$/;
const RESOURCE_MESSAGE = 'resourceCode must be 23 digits';

/** page (1-based), pageSize ≤ 500, sort, order; `format=csv|xlsx` exports the whole filtered list instead. */
export class ListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'area-code subtree' })
  @Optional()
  @Matches(/^\d{12}(\d{3})?$/, { message: AREA_MESSAGE })
  areaCode?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: ['ASC', 'DESC'] })
  @Optional()
  @IsIn(['ASC', 'DESC'])
  order?: string;

  @ApiPropertyOptional({ enum: ['csv', 'xlsx'] })
  @Optional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';
}

export function paging(q: ListQueryDto & { sort?: string }): Paging {
  return { ...pageWindow(q), sort: q.sort ?? 'id', order: q.order === 'DESC' ? 'DESC' : 'ASC' };
}

const TERMINAL_SORTS = [
  'id',
  'name',
  'resourceCode',
  'areaCode',
  'gatewayId',
  'unitId',
  'model',
  'serialNumber',
  'installedOn',
  'createdAt',
];
const GATEWAY_SORTS = ['id', 'name', 'resourceCode', 'areaCode', 'kind', 'host', 'port', 'createdAt'];

export class TerminalListQueryDto extends ListQueryDto {
  @ApiPropertyOptional()
  @Optional()
  @QueryInt(1, MAX_ID)
  gatewayId?: number;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiPropertyOptional({ enum: TERMINAL_SORTS })
  @Optional()
  @IsIn(TERMINAL_SORTS)
  sort?: string;
}

export class GatewayListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: GATEWAY_KINDS })
  @Optional()
  @IsIn(GATEWAY_KINDS)
  kind?: string;

  @ApiPropertyOptional({ enum: GATEWAY_SORTS })
  @Optional()
  @IsIn(GATEWAY_SORTS)
  sort?: string;
}

export class GatewayDto {
  @ApiProperty() @Line(64) name!: string;
  @ApiPropertyOptional({ description: 'generated when absent' })
  @Optional()
  @Matches(RESOURCE, { message: RESOURCE_MESSAGE })
  resourceCode?: string;
  @ApiProperty({ example: '341523100201' }) @Matches(AREA, { message: AREA_MESSAGE }) areaCode!: string;
  @ApiProperty({ enum: GATEWAY_KINDS }) @IsIn(GATEWAY_KINDS) kind!: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(255) host?: string;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(65535) port?: number;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(255) serialPath?: string;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(4_000_000) baudRate?: number;
  @ApiPropertyOptional({ enum: PARITIES }) @Optional() @IsIn(PARITIES) parity?: string;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(5) @Max(8) dataBits?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(2) stopBits?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(600_000) requestTimeoutMs?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(600_000) turnaroundMs?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(600_000) broadcastDelayMs?: number;
  @ApiPropertyOptional() @Optional() @IsBoolean() enabled?: boolean;
}

export class UpdateGatewayDto extends PartialType(GatewayDto) {}

export class CapabilitiesDto {
  @ApiPropertyOptional({ example: ['clip', 'fm', 'line-in'] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  sources?: string[];
  @ApiPropertyOptional({ example: ['mp3', 'opus'] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  codecs?: string[];
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(MAX_ID) clipStorageKb?: number;
}

/** Terminal fields; unit id and area are checked again by the service (1–247, nesting), naming the field. */
export class TerminalDto {
  @ApiProperty() @Line(64) name!: string;
  @ApiPropertyOptional({ description: 'generated when absent' })
  @Optional()
  @Matches(RESOURCE, { message: RESOURCE_MESSAGE })
  resourceCode?: string;
  @ApiProperty({ example: '341523100201' }) @Matches(AREA, { message: AREA_MESSAGE }) areaCode!: string;
  @ApiProperty() @IsInt() @Min(1) @Max(MAX_ID) gatewayId!: number;
  @ApiProperty({ minimum: 1, maximum: 247 })
  @IsInt()
  @Min(1, { message: 'unitId must be from 1 to 247' })
  @Max(247, { message: 'unitId must be from 1 to 247' })
  unitId!: number;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(64) model?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(64) serialNumber?: string;
  @ApiPropertyOptional({ type: CapabilitiesDto })
  @Optional()
  @ValidateNested()
  @Type(() => CapabilitiesDto)
  capabilities?: CapabilitiesDto;
  @ApiPropertyOptional() @Optional() @IsNumber() @Min(-90) @Max(90) latitude?: number;
  @ApiPropertyOptional() @Optional() @IsNumber() @Min(-180) @Max(180) longitude?: number;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(255) address?: string;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(100_000) speakerPowerW?: number;
  @ApiPropertyOptional({ example: '2024-05-01' })
  @Optional()
  @Day({ message: 'installedOn must be a date yyyy-mm-dd that exists' })
  installedOn?: string;
  @ApiPropertyOptional() @Optional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(2000) notes?: string;
}

export class UpdateTerminalDto extends PartialType(TerminalDto) {}
