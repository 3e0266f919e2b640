/**
 * An upstream platform (a municipal or provincial emergency-broadcast platform) in a small HTTP server, for the demo
 * and the tests: it signs and sends EBD packets to a county platform, verifies the signature of everything the county
 * sends back (against the key it was told to trust) and records the reports.
 *
 *   const sim = await UpstreamSimulator.start({ target: 'http://127.0.0.1:3000/api/upstream/ebd', targetEbrId }, clock);
 *   // register sim.ebrId, sim.certSn, sim.publicKey, sim.url as a sender; tell it the county's key:
 *   sim.trust(certSn, publicKey);
 *   const answer = await sim.sendEbm({ title: '暴雨红色预警', areaCodes: ['341523000000'] });
 *   const state = await sim.nextReport('EBMStateResponse');
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { filter, firstValueFrom, Subject } from 'rxjs';
import { composeBroadcastId } from '../../firmware-protocols/codes';
import {
  AUXILIARY_AUDIO,
  composeEbdId,
  EBD_RESULT_CODES,
  type Ebm,
  type EbdPacket,
  type EbdPayload,
  type EbdResponse,
} from '../../firmware-protocols/ebd';
import { generateKeyPair, sign } from '../../firmware-protocols/signing';
import type { Clock } from '../common/clock';
import type { ArchiveFile } from './ebd-archive';
import { openPacket, sealPacket, type PacketSigner, type SealedPacket } from './ebd-packets';

export interface SimulatorOptions {
  /** The county platform's EBD endpoint. */
  target: string;
  /** Or a function giving it at each send (a server whose port is known later). */
  targetUrl?: () => string;
  /** The county platform's EBRID (DEST of what we send). */
  targetEbrId: string;
  /** Our EBRID (a provincial platform by default). */
  ebrId?: string;
  name?: string;
  host?: string;
  port?: number;
}

export interface ReceivedReport {
  receivedAt: Date;
  /** The signature verified under the trusted key. */
  verified: boolean;
  detail: string | null;
  packet: EbdPacket | null;
  tar: Buffer;
}

export interface SendResult {
  status: number;
  ebdId: string;
  ebmId: string | null;
  /** The county's EBDResponse (null when it could not be read). */
  response: EbdResponse | null;
  /** Its signature verified under the trusted key. */
  responseVerified: boolean;
  detail: string | null;
}

export class UpstreamSimulator {
  readonly ebrId: string;
  readonly name: string;
  readonly certSn: string;
  readonly publicKey: string;
  readonly reports: ReceivedReport[] = [];
  private readonly received = new Subject<ReceivedReport>();
  private readonly signer: PacketSigner;
  private readonly trusted = new Map<string, string>();
  // sequences start from the time of day, so a simulator started again the same day does not repeat its ids
  private sequence: number;
  private ebmSequence: number;
  url = '';

  private constructor(
    private readonly options: SimulatorOptions,
    private readonly server: Server,
    private readonly clock: Clock,
  ) {
    this.sequence = Math.floor((clock.now() % 86_400_000) / 100);
    this.ebmSequence = Math.floor((clock.now() % 86_400_000) / 10_000);
    this.ebrId = options.ebrId ?? '23400000000000101010101';
    this.name = options.name ?? '省应急广播平台（模拟）';
    const key = generateKeyPair();
    this.certSn = String(900_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
    this.publicKey = key.publicKey;
    this.signer = { certSn: this.certSn, sign: (d) => sign(d, key.privateKey) };
  }

  static async start(options: SimulatorOptions, clock: Clock): Promise<UpstreamSimulator> {
    let sim: UpstreamSimulator | null = null;
    const server = createServer((req, res) => {
      void sim?.handle(req, res);
    });
    sim = new UpstreamSimulator(options, server, clock);
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
    const a = server.address() as AddressInfo;
    sim.url = `http://${options.host ?? '127.0.0.1'}:${a.port}/ebd`;
    return sim;
  }

  /** The key the county signs with (its certificate serial and SM2 public key). */
  trust(certSn: string, publicKey: string): void {
    this.trusted.set(certSn, publicKey);
  }

  async stop(): Promise<void> {
    this.received.complete();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next report of this type (or one already received and not yet taken with `since`). */
  nextReport(
    type: EbdPayload['type'],
    match: (r: ReceivedReport) => boolean = () => true,
    since = 0,
  ): Promise<ReceivedReport> {
    const seen = this.reports.slice(since).find((r) => r.packet?.payload.type === type && match(r));
    if (seen) return Promise.resolve(seen);
    return firstValueFrom(this.received.pipe(filter((r) => r.packet?.payload.type === type && match(r))));
  }

  nextEbdId(): string {
    return composeEbdId(this.ebrId, this.clock.date(), (++this.sequence % 99_999_999) + 1);
  }

  /** An EBM as a provincial platform would send it (override any field). */
  ebm(over: Partial<Ebm> = {}): Ebm {
    const now = this.clock.date();
    return {
      ebmId: composeBroadcastId(this.ebrId, now, (this.ebmSequence++ % 9999) + 1),
      relatedEbmId: null,
      msgType: 1,
      senderName: this.name,
      senderCode: this.ebrId,
      sendTime: now,
      eventType: '11B03',
      severity: 1,
      startTime: now,
      endTime: new Date(now.getTime() + 3600_000),
      language: 'zho',
      title: '暴雨红色预警',
      description: '省气象台发布暴雨红色预警：未来三小时将有特大暴雨，请注意防范山洪和地质灾害。',
      areaCodes: [this.options.targetEbrId.slice(1, 13)],
      auxiliary: null,
      dispatchEbrIds: [this.options.targetEbrId],
      ...over,
    };
  }

  /** A sealed packet of ours; `signer` forges it with another key. */
  seal(
    payload: EbdPayload,
    opts: { ebdId?: string; time?: Date; resources?: ArchiveFile[]; signer?: PacketSigner; destEbrId?: string } = {},
  ): Promise<SealedPacket> {
    const packet: EbdPacket = {
      header: {
        ebdId: opts.ebdId ?? this.nextEbdId(),
        type: payload.type,
        srcEbrId: this.ebrId,
        srcUrl: this.url,
        destEbrId: opts.destEbrId ?? this.options.targetEbrId,
        time: opts.time ?? this.clock.date(),
        relatedEbdId: null,
      },
      payload,
    };
    return sealPacket(packet, opts.signer ?? this.signer, opts.resources ?? []);
  }

  /** Sends an EBM (with an audio file as an EBDR_ resource when given). */
  async sendEbm(over: Partial<Ebm> = {}, audio?: { name: string; body: Buffer }): Promise<SendResult> {
    const ebm = this.ebm(
      audio
        ? { auxiliary: { type: AUXILIARY_AUDIO, fileName: audio.name, size: audio.body.length, digest: null }, ...over }
        : over,
    );
    const sealed = await this.seal({ type: 'EBM', ebm }, { resources: audio ? [audio] : [] });
    return { ...(await this.post(sealed.tar, sealed.fileName)), ebmId: ebm.ebmId };
  }

  /** POSTs a tar (multipart part `file`) to the county and reads its answer. */
  async post(tar: Buffer, fileName: string): Promise<SendResult> {
    const form = new FormData();
    form.append('file', new Blob([tar], { type: 'application/x-tar' }), fileName);
    const res = await fetch(this.options.targetUrl?.() ?? this.options.target, { method: 'POST', body: form });
    const body = Buffer.from(await res.arrayBuffer());
    const ebdId = /^EBDT_(\d+)\.tar$/.exec(fileName)?.[1] ?? '';
    const opened = await openPacket(body, (sn) => this.trusted.get(sn) ?? null);
    if (!opened.ok)
      return { status: res.status, ebdId, ebmId: null, response: null, responseVerified: false, detail: opened.detail };
    const p = opened.packet.payload;
    return {
      status: res.status,
      ebdId,
      ebmId: null,
      response: p.type === 'EBDResponse' ? p.response : null,
      responseVerified: true,
      detail: null,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const request = new Request('http://simulator/', {
        method: 'POST',
        headers: req.headers as Record<string, string>,
        body: Readable.toWeb(req) as ReadableStream,
        duplex: 'half',
      });
      const file = (await request.formData()).get('file');
      const tar = file instanceof Blob ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
      const opened = await openPacket(tar, (sn) => this.trusted.get(sn) ?? null);
      const report: ReceivedReport = {
        receivedAt: this.clock.date(),
        verified: opened.ok,
        detail: opened.ok ? null : opened.detail,
        packet: opened.ok ? opened.packet : null,
        tar,
      };
      this.reports.push(report);
      const code = opened.ok ? EBD_RESULT_CODES.ok : opened.resultCode;
      const answer = await this.seal(
        { type: 'EBDResponse', response: { resultCode: code, resultDesc: opened.ok ? '接收成功' : opened.detail } },
        { destEbrId: this.options.targetEbrId },
      );
      res
        .writeHead(200, {
          'content-type': 'application/x-tar',
          'content-disposition': `attachment; filename="${answer.fileName}"`,
        })
        .end(answer.tar);
      this.received.next(report);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end((e as Error).message);
    }
  }
}
