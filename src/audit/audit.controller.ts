import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Roles } from '../auth/decorators';
import { UsersService } from '../auth/users.service';
import { ApiErrors } from '../common/api-docs';
import { pageWindow } from '../common/paging';
import { AuditQueryDto } from './audit.dto';
import { AuditService, AuditView, VerifyResult } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('admin')
@ApiErrors(401, 403)
@Controller('api/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  /** Newest first; filter by actor, action, entity and time. A scoped admin sees entries by or about its accounts only. */
  @Get()
  @ApiOperation({ summary: 'The audit log, newest first, filtered (a scoped admin: entries by or about its accounts)' })
  @ApiErrors(400)
  async list(
    @Query() query: AuditQueryDto,
    @CurrentUser() reader: AuthUser,
  ): Promise<{ items: AuditView[]; total: number }> {
    const { page: _page, pageSize: _size, from, to, ...filter } = query;
    const times = {
      from: from === undefined ? undefined : new Date(from),
      to: to === undefined ? undefined : new Date(to),
    };
    const userIds = (await this.users.administeredIds(reader)) ?? undefined;
    return this.audit.list({ ...filter, ...times, userIds, ...pageWindow(query) });
  }

  /** Recomputes the whole hash chain and reports the first broken link. */
  @Get('verify')
  @ApiOperation({ summary: 'Recompute the hash chain and name the first broken link' })
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }
}
