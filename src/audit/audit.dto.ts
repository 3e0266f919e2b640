import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto } from '../common/paging';
import { IsString, MaxLength } from 'class-validator';
import { Optional, When } from '../common/validation';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'username of the actor' })
  @Optional()
  @IsString()
  @MaxLength(64)
  actor?: string;

  @ApiPropertyOptional({ example: 'user.create', description: 'what was done, `<entity>.<verb>`' })
  @Optional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ example: 'terminal' })
  @Optional()
  @IsString()
  @MaxLength(64)
  entityType?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MaxLength(64)
  entityId?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time, inclusive' })
  @Optional()
  @When()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time, inclusive' })
  @Optional()
  @When()
  to?: string;
}
