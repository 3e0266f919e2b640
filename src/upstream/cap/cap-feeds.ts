/**
 * Polls the Atom/RSS feeds of CAP 1.2 alerts (DALABA_CAP_FEEDS) every DALABA_CAP_POLL seconds: each entry's CAP
 * document (an Atom link of type application/cap+xml or the entry's first link; an RSS item's link) is fetched once
 * and ingested like a POSTed message. Entries taken before are skipped by their link.
 *
 * In a cluster the polls are a singleton (`singleton:cap-feeds`, docs/cluster.md "Singletons"): only its holder polls.
 * A holder that took over starts with no links in memory; what it fetches again is ingested as a replay (the inbox
 * knows every message by its identifier), so nothing goes on air twice.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { XMLParser } from 'fast-xml-parser';
import { LeaseManager } from '../../cluster/lease-manager';
import { SingletonLease } from '../../cluster/singleton-lease';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { CapService } from './cap.service';

const FETCH_TIMEOUT_MS = 15_000;
const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (n) => ['entry', 'item', 'link'].includes(n),
});

type Node = Record<string, unknown>;

/** The CAP document links of a feed, newest last as the feed lists them. */
export function feedLinks(xml: string, base: string): string[] {
  const doc = parser.parse(xml) as Node;
  const out: string[] = [];
  const feed = doc.feed as Node | undefined;
  for (const e of (feed?.entry as Node[] | undefined) ?? []) {
    const links = (e.link as Node[] | undefined) ?? [];
    const cap = links.find((l) => typeof l['@_type'] === 'string' && l['@_type'].includes('cap')) ?? links[0];
    if (typeof cap?.['@_href'] === 'string') out.push(new URL(cap['@_href'], base).toString());
  }
  const channel = (doc.rss as Node | undefined)?.channel as Node | undefined;
  for (const i of (channel?.item as Node[] | undefined) ?? []) {
    const link = ((i.link as unknown[] | undefined) ?? [])[0];
    const href = typeof link === 'string' ? link : (link as Node | undefined)?.['#text'];
    if (typeof href === 'string' && href.trim()) out.push(new URL(href.trim(), base).toString());
  }
  return [...new Set(out)];
}

@Injectable()
export class CapFeeds implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('CapFeeds');
  private timer: NodeJS.Timeout | null = null;
  private readonly taken = new Set<string>();
  private running: Promise<void> | null = null;
  private lease: SingletonLease | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cap: CapService,
    private readonly leases: LeaseManager,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.upstream.capFeeds.length === 0) return;
    this.lease = new SingletonLease(this.leases, 'cap-feeds');
    this.timer = setInterval(() => void this.pollAll(), this.config.upstream.capPollMs);
    this.timer.unref();
    void this.pollAll();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every feed (a pass still running is awaited instead); in a cluster, only on the singleton's holder. */
  pollAll(): Promise<void> {
    this.running ??= (async () => {
      for (const feed of this.config.upstream.capFeeds)
        if (this.lease?.holds() ?? true)
          await this.poll(feed).catch((e: unknown) => this.log.warn(`feed ${feed}: ${(e as Error).message}`));
    })().finally(() => (this.running = null));
    return this.running;
  }

  private async poll(feed: string): Promise<void> {
    for (const link of feedLinks(await this.fetchText(feed), feed)) {
      if (this.taken.has(link)) continue;
      const body = Buffer.from(await this.fetchText(link), 'utf8');
      this.taken.add(link);
      const r = await this.cap.ingest(body, link.slice(-200), new URL(link).host);
      if (r.verification !== 'replayed')
        this.log.log(`CAP ${link}: ${r.verification}, ${r.disposition}${r.detail ? ` (${r.detail})` : ''}`);
    }
  }

  private async fetchText(url: string): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_DOCUMENT_BYTES)
      throw new Error(`${url}: ${body.length} bytes is more than ${MAX_DOCUMENT_BYTES}`);
    return body.toString('utf8');
  }
}
