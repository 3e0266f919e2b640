/**
 * Demo only: a simulated provincial platform (UpstreamSimulator) registered as an EBD sender — Ⅰ and Ⅱ alerts go
 * on air at once as its decision, Ⅲ and Ⅳ wait for a local approver — so a person can make "the province sends an
 * alert" happen (POST /api/demo/upstream/send) and see the reports it gets back (GET /api/demo/upstream/reports).
 */
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Post,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import { Clock } from '../common/clock';
import type { AddressInfo } from 'node:net';
import { SYSTEM_ACTOR } from '../auth/auth-user';
import { Roles } from '../auth/decorators';
import { NotFoundError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DemoSendDto } from './upstream.dto';
import { UpstreamService } from './upstream.service';
import { UpstreamSimulator, type SendResult } from './upstream-simulator';
import { UpstreamRepository } from './upstream.repository';

@Injectable()
export class DemoUpstream implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('DemoUpstream');
  private sim: UpstreamSimulator | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly upstream: UpstreamService,
    private readonly repo: UpstreamRepository,
    private readonly http: HttpAdapterHost,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demo) return;
    // the server's own port is known once it listens: the simulator resolves the target at each send
    const target = (): string =>
      `http://127.0.0.1:${(this.http.httpAdapter.getHttpServer() as { address(): AddressInfo }).address().port}/api/upstream/ebd`;
    this.sim = await UpstreamSimulator.start(
      {
        target: '',
        targetEbrId: this.config.platformResourceCode,
        targetUrl: target,
      },
      this.clock,
    );
    const mine = this.upstream.certificate();
    this.sim.trust(mine.certSn, mine.publicKey);
    const existing = await this.repo.senderByCode('ebd', this.sim.ebrId);
    if (existing)
      await this.upstream.updateSender(
        existing.id,
        { certSn: this.sim.certSn, publicKey: this.sim.publicKey, url: this.sim.url, enabled: true },
        SYSTEM_ACTOR,
      );
    else {
      await this.upstream.createSender(
        {
          kind: 'ebd',
          code: this.sim.ebrId,
          name: this.sim.name,
          certSn: this.sim.certSn,
          publicKey: this.sim.publicKey,
          url: this.sim.url,
          dispatchSeverities: [1, 2],
          enabled: true,
        },
        SYSTEM_ACTOR,
      );
    }
    this.log.log(
      `simulated provincial platform ${this.sim.ebrId} at ${this.sim.url}: POST /api/demo/upstream/send sends an alert`,
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.sim?.stop();
  }

  private simulator(): UpstreamSimulator {
    if (!this.sim) throw new NotFoundError('demo upstream simulator', 'none (start with --demo)');
    return this.sim;
  }

  send(dto: DemoSendDto): Promise<SendResult> {
    const sim = this.simulator();
    if (dto.cancel) return sim.sendEbm({ msgType: 2, relatedEbmId: dto.cancel, title: dto.title ?? '解除预警' });
    return sim.sendEbm({
      ...(dto.title ? { title: dto.title } : {}),
      ...(dto.text ? { description: dto.text } : {}),
      ...(dto.severity ? { severity: dto.severity } : {}),
      ...(dto.eventType ? { eventType: dto.eventType } : {}),
      ...(dto.areaCodes?.length ? { areaCodes: dto.areaCodes } : {}),
    });
  }

  reports(): { receivedAt: string; verified: boolean; type: string | null; detail: string | null; payload: unknown }[] {
    return this.simulator().reports.map((r) => ({
      receivedAt: r.receivedAt.toISOString(),
      verified: r.verified,
      type: r.packet?.payload.type ?? null,
      detail: r.detail,
      payload: r.packet?.payload ?? null,
    }));
  }
}

@ApiTags('demo')
@ApiBearerAuth()
@ApiErrors(401, 403, 404)
@Roles('technician')
@Controller('api/demo/upstream')
export class DemoUpstreamController {
  constructor(private readonly demo: DemoUpstream) {}

  /** The simulated province sends an EBM (or, with `cancel`, cancels one); answers with the county's EBDResponse. */
  @Post('send')
  @HttpCode(200)
  @ApiOperation({ summary: 'Demo: the simulated province sends an alert (or cancels one) to this platform' })
  @ApiErrors(400)
  send(@Body() dto: DemoSendDto): Promise<SendResult> {
    return this.demo.send(dto);
  }

  /** What the simulated province received from the county (state reports, heartbeats …), signature checked. */
  @Get('reports')
  @ApiOperation({ summary: 'Demo: what the simulated province received from this platform, signatures checked' })
  reports(): ReturnType<DemoUpstream['reports']> {
    return this.demo.reports();
  }
}
