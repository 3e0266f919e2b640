import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { IdPipe } from '../common/validation';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { Request, Response } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, Public, Roles } from '../auth/decorators';
import { ValidationFailedError } from '../common/errors';
import { pageWindow, type Page } from '../common/paging';
import { CapService, type CapIngestResult } from './cap/cap.service';
import { MAX_ARCHIVE_BYTES } from './ebd-archive';
import { EbdReceiver } from './ebd-receiver';
import { UpstreamService, type MessageDetail } from './upstream.service';
import { CreateSenderDto, MessageQueryDto, OutboxQueryDto, UpdateSenderDto } from './upstream.dto';
import type { UpstreamMessageEntity, UpstreamOutboxEntity, UpstreamSenderEntity } from './upstream.entities';

interface UploadedPart {
  originalname: string;
  buffer: Buffer;
}

const FILE_BODY = {
  schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] },
};

/**
 * The EBD receiving endpoint of upstream platforms. Public at the HTTP level: a packet is authenticated by its
 * SM2-SM3 signature against the sender's registered certificate, not by a login. The answer is always a signed
 * EBDResponse tar (HTTP 200), whose ResultCode says what became of the packet.
 */
@ApiTags('upstream')
@Controller('api/upstream/ebd')
export class EbdController {
  constructor(private readonly receiver: EbdReceiver) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive an EBD packet from the platform above; answers with a signed EBDResponse tar (ResultCode 0–5)',
  })
  @ApiErrors(400, 413)
  @ApiConsumes('multipart/form-data')
  @ApiBody(FILE_BODY)
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: MAX_ARCHIVE_BYTES, files: 1, fields: 5 } }))
  async receive(
    @UploadedFile() file: UploadedPart | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const answer = await this.receiver.receive(
      file?.buffer ?? Buffer.alloc(0),
      file?.originalname ?? '(no file part)',
      req.ip ?? null,
    );
    res.setHeader('Content-Type', 'application/x-tar');
    res.setHeader('Content-Disposition', `attachment; filename="${answer.sealed.fileName}"`);
    res.setHeader('X-EBD-Result-Code', String(answer.resultCode));
    return new StreamableFile(answer.sealed.tar);
  }
}

/** Senders, the inbox and the outbox (console), CAP ingest by upload. */
@ApiTags('upstream')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('api/upstream')
export class UpstreamController {
  constructor(
    private readonly upstream: UpstreamService,
    private readonly cap: CapService,
  ) {}

  @Get('certificate')
  @Roles('admin', 'technician')
  @ApiOperation({ summary: 'Our EBRID, certificate serial and SM2 public key, for the platform above to register' })
  certificate(): { ebrId: string; certSn: string; publicKey: string; algorithm: string } {
    return this.upstream.certificate();
  }

  @Get('senders')
  @Roles('admin', 'technician', 'approver')
  @ApiOperation({ summary: 'Registered upstream senders (EBD platforms, CAP sources) with their review policy' })
  senders(): Promise<UpstreamSenderEntity[]> {
    return this.upstream.senders();
  }

  @Post('senders')
  @Roles('admin')
  @ApiOperation({
    summary: 'Register a sender: its EBRID or CAP sender, certificate and which severities go on air at once',
  })
  @ApiErrors(400, 409)
  createSender(@Body() dto: CreateSenderDto, @CurrentUser() user: AuthUser): Promise<UpstreamSenderEntity> {
    return this.upstream.createSender(dto, user);
  }

  @Patch('senders/:id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change a sender (certificate, URL, policy, enabled)' })
  @ApiErrors(400, 404)
  updateSender(
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateSenderDto,
    @CurrentUser() user: AuthUser,
  ): Promise<UpstreamSenderEntity> {
    return this.upstream.updateSender(id, dto, user);
  }

  @Delete('senders/:id')
  @Roles('admin')
  @ApiOperation({ summary: 'Remove a sender' })
  @ApiErrors(400, 404)
  @HttpCode(204)
  deleteSender(@Param('id', IdPipe) id: number, @CurrentUser() user: AuthUser): Promise<void> {
    return this.upstream.deleteSender(id, user);
  }

  @Get('messages')
  @Roles('admin', 'officer', 'approver', 'technician')
  @ApiOperation({
    summary: 'The inbox: every upstream message received, with its verification result and what became of it',
  })
  @ApiErrors(400)
  messages(@Query() q: MessageQueryDto): Promise<Page<UpstreamMessageEntity>> {
    return this.upstream.messages({ kind: q.kind, verification: q.verification, ...pageWindow(q) });
  }

  @Get('messages/:id')
  @Roles('admin', 'officer', 'approver', 'technician')
  @ApiOperation({ summary: 'One upstream message, the alert it made and the reports sent about it' })
  @ApiErrors(400, 404)
  message(@Param('id', IdPipe) id: number): Promise<MessageDetail> {
    return this.upstream.message(id);
  }

  /** The packet or document exactly as received. */
  @Get('messages/:id/raw')
  @Roles('admin', 'officer', 'approver', 'technician')
  @ApiOperation({ summary: 'The packet or document exactly as received' })
  @ApiErrors(400, 404)
  async raw(@Param('id', IdPipe) id: number, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const f = await this.upstream.raw(id);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(f.name)}"`);
    return new StreamableFile(f.body);
  }

  @Get('outbox')
  @Roles('admin', 'technician')
  @ApiOperation({ summary: 'Reports owed to upstream platforms: pending, sent or failed' })
  @ApiErrors(400)
  outbox(@Query() q: OutboxQueryDto): Promise<Page<UpstreamOutboxEntity>> {
    return this.upstream.outbox({ state: q.state, ...pageWindow(q) });
  }

  /** A CAP 1.2 message (multipart part `file`): validated, recorded, mapped by the sender's policy. */
  @Post('cap')
  @Roles('admin', 'officer')
  @ApiOperation({
    summary: "Take a CAP 1.2 message: validated against the OASIS schema, recorded, mapped by the sender's policy",
  })
  @ApiErrors(400, 413, 503)
  @ApiConsumes('multipart/form-data')
  @ApiBody(FILE_BODY)
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: 2 * 1024 * 1024, files: 1, fields: 5 } }))
  async ingestCap(@UploadedFile() file: UploadedPart | undefined, @Req() req: Request): Promise<CapIngestResult> {
    if (!file || file.buffer.length === 0)
      throw ValidationFailedError.field('file', 'no CAP document was sent (multipart field "file")');
    const r = await this.cap.ingest(file.buffer, file.originalname, req.ip ?? null);
    if (r.verification === 'schema-invalid')
      throw new ValidationFailedError(
        'the document is not valid CAP 1.2',
        r.errors.map((message) => ({ field: 'file', message })),
      );
    return r;
  }
}
