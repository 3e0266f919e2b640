import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import { Roles } from '../auth/decorators';
import { pageWindow } from '../common/paging';
import { AuditQueryDto } from './audit.dto';
import { AuditService, AuditView, VerifyResult } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors(401, 403)
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Newest first; filter by actor, action, entity and time. */
  @Get()
  @ApiOperation({ summary: 'The audit log, newest first, filtered' })
  @ApiErrors(400)
  list(@Query() query: AuditQueryDto): Promise<{ items: AuditView[]; total: number }> {
    const { page: _page, pageSize: _size, ...filter } = query;
    return this.audit.list({ ...filter, ...pageWindow(query) });
  }

  /** Recomputes the whole hash chain and reports the first broken link. */
  @Get('verify')
  @ApiOperation({ summary: 'Recompute the hash chain and name the first broken link' })
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }
}
