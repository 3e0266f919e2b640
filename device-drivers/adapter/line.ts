/**
 * The adapter line: keeps one byte link open (reconnecting with exponential backoff), parses what arrives
 * (firmware-protocols/adapter/PROTOCOL.md §6), lets a transaction wait for a matching frame under a deadline, and
 * drops a link on which the adapter has gone silent (no frame for `silenceMs`, DOMAIN.md: offline after 3 missed
 * heartbeats) so that a hung peer is reconnected like a closed one.
 */
import { AdapterStreamParser, type ParsedItem } from '../../firmware-protocols/adapter';
import type { ConnectionState } from '../terminal-bus';
import type { ByteLink, Clock, LinkOpener, TimerHandle } from './ports';

export interface LineOptions {
  open: LinkOpener;
  clock: Clock;
  silenceMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

export interface LineListener {
  state(state: ConnectionState, detail?: string): void;
  item(item: ParsedItem): void;
  lineError(kind: 'crc' | 'protocol' | 'timeout', message: string): void;
}

interface Waiter {
  match: (item: ParsedItem) => boolean;
  resolve: (item: ParsedItem) => void;
  reject: (reason: 'timeout' | 'disconnected') => void;
  timer: TimerHandle;
}

export class AdapterLine {
  private link: ByteLink | null = null;
  private parser = new AdapterStreamParser(['reply', 'return']);
  private readonly waiters = new Set<Waiter>();
  private current: ConnectionState = 'disconnected';
  private retryTimer: TimerHandle | null = null;
  private silenceTimer: TimerHandle | null = null;
  private backoffMs: number;
  private stopped = true;
  reconnects = 0;

  constructor(
    private readonly opts: LineOptions,
    private readonly listener: LineListener,
  ) {
    this.backoffMs = opts.reconnectInitialMs;
  }

  state(): ConnectionState {
    return this.current;
  }

  /** Resolves after the first connection attempt, whatever its outcome; later attempts go on in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.silenceTimer?.cancel();
    const link = this.link;
    this.link = null;
    link?.close();
    this.failWaiters();
    this.setState('stopped');
  }

  /** Writes a frame; false when there is no link. */
  write(frame: Buffer): boolean {
    if (this.link === null) return false;
    this.link.write(frame);
    return true;
  }

  /** Waits for the first item that matches, for at most ms. */
  waitFor(match: (item: ParsedItem) => boolean, ms: number): { promise: Promise<ParsedItem>; cancel: () => void } {
    let waiter!: Waiter;
    const promise = new Promise<ParsedItem>((resolve, reject) => {
      waiter = {
        match,
        resolve,
        reject: (reason) => reject(new Error(reason)),
        timer: this.opts.clock.setTimeout(() => {
          this.waiters.delete(waiter);
          waiter.reject('timeout');
        }, ms),
      };
      this.waiters.add(waiter);
    });
    return {
      promise,
      cancel: () => {
        waiter.timer.cancel();
        this.waiters.delete(waiter);
      },
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    let link: ByteLink;
    try {
      link = await this.opts.open();
    } catch (e) {
      this.setState('disconnected', e instanceof Error ? e.message : String(e));
      return this.scheduleReconnect();
    }
    if (this.stopped) return link.close();
    this.link = link;
    this.parser = new AdapterStreamParser(['reply', 'return']);
    this.backoffMs = this.opts.reconnectInitialMs;
    link.onData((chunk) => this.receive(chunk));
    link.onClose((reason) => {
      if (this.link !== link) return;
      this.link = null;
      this.silenceTimer?.cancel();
      this.failWaiters();
      if (this.stopped) return;
      this.setState('disconnected', reason);
      this.scheduleReconnect();
    });
    this.armSilence();
    this.setState('connected');
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const ms = this.backoffMs;
    this.backoffMs = Math.min(this.opts.reconnectMaxMs, this.backoffMs * 2);
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.reconnects++;
      void this.connect();
    }, ms);
  }

  private armSilence(): void {
    this.silenceTimer?.cancel();
    this.silenceTimer = this.opts.clock.setTimeout(() => {
      this.listener.lineError('timeout', `no frame from the adapter for ${this.opts.silenceMs} ms; reconnecting`);
      this.link?.close();
    }, this.opts.silenceMs);
  }

  private receive(chunk: Buffer): void {
    const crcBefore = this.parser.stats.crcErrors;
    const items = this.parser.push(chunk);
    const crc = this.parser.stats.crcErrors - crcBefore;
    if (crc > 0) this.listener.lineError('crc', `${crc} frame(s) with a bad CRC-32/MPEG-2 skipped`);
    for (const item of items) {
      if (item.kind === 'invalid') {
        this.listener.lineError('protocol', `invalid frame skipped: ${item.error.message}`);
        continue;
      }
      this.armSilence();
      for (const w of [...this.waiters]) {
        if (w.match(item)) {
          w.timer.cancel();
          this.waiters.delete(w);
          w.resolve(item);
        }
      }
      this.listener.item(item);
    }
  }

  private failWaiters(): void {
    for (const w of this.waiters) {
      w.timer.cancel();
      w.reject('disconnected');
    }
    this.waiters.clear();
  }

  private setState(state: ConnectionState, detail?: string): void {
    if (state === this.current && detail === undefined) return;
    this.current = state;
    this.listener.state(state, detail);
  }
}
