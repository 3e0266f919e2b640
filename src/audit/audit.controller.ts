import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { pageWindow } from '../common/paging';
import { AuditQueryDto } from './audit.dto';
import { AuditService, AuditView, VerifyResult } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Newest first; filter by actor, action, entity and time. */
  @Get()
  list(@Query() query: AuditQueryDto): Promise<{ items: AuditView[]; total: number }> {
    const { page: _page, pageSize: _size, from, to, ...filter } = query;
    const times = { from: from === undefined ? undefined : new Date(from), to: to === undefined ? undefined : new Date(to) };
    return this.audit.list({ ...filter, ...times, ...pageWindow(query) });
  }

  /** Recomputes the whole hash chain and reports the first broken link. */
  @Get('verify')
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }
}
