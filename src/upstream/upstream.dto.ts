import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../common/paging';
import { Optional } from '../common/validation';
import { SENDER_KINDS, VERIFICATIONS, type SenderKind } from './upstream.entities';

export class CreateSenderDto {
  @ApiProperty({ enum: SENDER_KINDS })
  @IsIn(SENDER_KINDS)
  kind!: SenderKind;

  @ApiProperty({ description: 'EBD: the 23-digit EBRID; CAP: the <sender> of its messages' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  code!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name!: string;

  @ApiPropertyOptional({ description: 'EBD: serial of its signing certificate (CertSN)' })
  @Optional()
  @Matches(/^[0-9A-Za-z]{1,64}$/, { message: 'certSn must be 1–64 letters or digits' })
  certSn?: string;

  @ApiPropertyOptional({ description: 'EBD: its SM2 public key, 130 hex digits 04‖x‖y' })
  @Optional()
  @Matches(/^04[0-9a-fA-F]{128}$/, {
    message: 'publicKey must be an uncompressed SM2 public key (130 hex digits starting 04)',
  })
  publicKey?: string;

  @ApiPropertyOptional({ description: 'where our reports go (EBD)' })
  @Optional()
  @Matches(/^https?:\/\/\S{1,490}$/, { message: 'url must be an http(s) URL' })
  url?: string;

  @ApiPropertyOptional({
    description: "severities (0–4) sent at once as the sender's decision; others wait for local review",
    type: [Number],
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(4, { each: true })
  dispatchSeverities?: number[];

  @ApiPropertyOptional({ default: true })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

/** PATCH: any of the create fields but the sender's kind and code. */
export class UpdateSenderDto extends PartialType(OmitType(CreateSenderDto, ['kind', 'code'] as const)) {}

export class MessageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SENDER_KINDS })
  @Optional()
  @IsIn(SENDER_KINDS)
  kind?: SenderKind;

  @ApiPropertyOptional({ enum: VERIFICATIONS })
  @Optional()
  @IsIn(VERIFICATIONS)
  verification?: string;
}

export class OutboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'sent', 'failed'] })
  @Optional()
  @IsIn(['pending', 'sent', 'failed'])
  state?: string;
}

/** POST /api/demo/upstream/send */
export class DemoSendDto {
  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(2000)
  text?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 4 })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(4)
  severity?: number;

  @ApiPropertyOptional()
  @Optional()
  @Matches(/^\d{2}[A-Z]\d{2}$|^\d{5}$/, { message: 'eventType must be a 5-character event code' })
  eventType?: string;

  @ApiPropertyOptional({ type: [String] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^\d{12}$/, { each: true, message: 'each of areaCodes must be a 12-digit area code' })
  areaCodes?: string[];

  @ApiPropertyOptional({ description: 'the EBMID of an earlier message to cancel' })
  @Optional()
  @Matches(/^\d{35}$/, { message: 'cancel must be a 35-digit EBMID' })
  cancel?: string;
}
