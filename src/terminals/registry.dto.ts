import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import { PageQueryDto, pageWindow } from '../common/paging';
import type { Paging } from './gateways.repository';
import { GATEWAY_KINDS, PARITIES } from './registry.entities';

const AREA = /^\d+$/;
const AREA_MESSAGE = 'areaCode must be a 12-digit area code or a 15-digit group code';
const RESOURCE = /^\d{23}$/;
const RESOURCE_MESSAGE = 'resourceCode must be 23 digits';

/** page (1-based), pageSize ≤ 500, sort, order; `format=csv|xlsx` exports the whole filtered list instead. */
export class ListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'area-code subtree' })
  @IsOptional()
  @Matches(/^\d{12}(\d{3})?$/, { message: AREA_MESSAGE })
  areaCode?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: ['ASC', 'DESC', 'asc', 'desc'] })
  @IsOptional()
  @IsIn(['ASC', 'DESC', 'asc', 'desc'])
  order?: string;

  @ApiPropertyOptional({ enum: ['csv', 'xlsx'] })
  @IsOptional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';
}

export function paging(q: ListQueryDto & { sort?: string }): Paging {
  return { ...pageWindow(q), sort: q.sort ?? 'id', order: q.order?.toUpperCase() === 'DESC' ? 'DESC' : 'ASC' };
}

const TERMINAL_SORTS = ['id', 'name', 'resourceCode', 'areaCode', 'gatewayId', 'unitId', 'model', 'serialNumber', 'installedOn', 'createdAt'];
const GATEWAY_SORTS = ['id', 'name', 'resourceCode', 'areaCode', 'kind', 'host', 'port', 'createdAt'];

export class TerminalListQueryDto extends ListQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  gatewayId?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiPropertyOptional({ enum: TERMINAL_SORTS })
  @IsOptional()
  @IsIn(TERMINAL_SORTS)
  sort?: string;
}

export class GatewayListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: GATEWAY_KINDS })
  @IsOptional()
  @IsIn(GATEWAY_KINDS)
  kind?: string;

  @ApiPropertyOptional({ enum: GATEWAY_SORTS })
  @IsOptional()
  @IsIn(GATEWAY_SORTS)
  sort?: string;
}

export class GatewayDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(64) name!: string;
  @ApiPropertyOptional({ description: 'generated when absent' }) @IsOptional() @Matches(RESOURCE, { message: RESOURCE_MESSAGE }) resourceCode?: string;
  @ApiProperty({ example: '341523100201' }) @Matches(AREA, { message: AREA_MESSAGE }) areaCode!: string;
  @ApiProperty({ enum: GATEWAY_KINDS }) @IsIn(GATEWAY_KINDS) kind!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) host?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) serialPath?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() baudRate?: number;
  @ApiPropertyOptional({ enum: PARITIES }) @IsOptional() @IsIn(PARITIES) parity?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() dataBits?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() stopBits?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() requestTimeoutMs?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() turnaroundMs?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() broadcastDelayMs?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
}

export class UpdateGatewayDto extends PartialType(GatewayDto) {}

export class CapabilitiesDto {
  @ApiPropertyOptional({ example: ['clip', 'fm', 'line-in'] }) @IsOptional() @IsArray() @IsString({ each: true }) sources?: string[];
  @ApiPropertyOptional({ example: ['mp3', 'opus'] }) @IsOptional() @IsArray() @IsString({ each: true }) codecs?: string[];
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) clipStorageKb?: number;
}

/** Terminal fields; unit id and area are checked again by the service (1–247, nesting), naming the field. */
export class TerminalDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(64) name!: string;
  @ApiPropertyOptional({ description: 'generated when absent' }) @IsOptional() @Matches(RESOURCE, { message: RESOURCE_MESSAGE }) resourceCode?: string;
  @ApiProperty({ example: '341523100201' }) @Matches(AREA, { message: AREA_MESSAGE }) areaCode!: string;
  @ApiProperty() @IsInt() gatewayId!: number;
  @ApiProperty({ minimum: 1, maximum: 247 }) @IsInt() @Min(1, { message: 'unitId must be from 1 to 247' }) @Max(247, { message: 'unitId must be from 1 to 247' }) unitId!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) model?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) serialNumber?: string;
  @ApiPropertyOptional({ type: CapabilitiesDto }) @IsOptional() @ValidateNested() @Type(() => CapabilitiesDto) capabilities?: CapabilitiesDto;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-90) @Max(90) latitude?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-180) @Max(180) longitude?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) address?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) speakerPowerW?: number;
  @ApiPropertyOptional({ example: '2024-05-01' }) @IsOptional() @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'installedOn must be a date yyyy-mm-dd' }) installedOn?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) notes?: string;
}

export class UpdateTerminalDto extends PartialType(TerminalDto) {}
