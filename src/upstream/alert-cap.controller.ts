import { Controller, Get, Inject, Param, ParseIntPipe, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { CapService } from './cap/cap.service';
import { UpstreamRepository } from './upstream.repository';

/** One of our alerts as a CAP 1.2 message (it validates against the OASIS schema). */
@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/alerts')
export class AlertCapController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly capService: CapService,
    private readonly repo: UpstreamRepository,
  ) {}

  @Get(':id/cap')
  @ApiOperation({ summary: 'The alert as a CAP 1.2 message (application/cap+xml)' })
  @ApiErrors(400, 401, 403, 404)
  async cap(
    @Param('id', ParseIntPipe) id: number,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const xml = await this.capService.export(id, user, this.config.platformResourceCode, (codes) =>
      this.repo.areaNames(codes),
    );
    res.setHeader('Content-Type', 'application/cap+xml; charset=utf-8');
    return xml;
  }
}
