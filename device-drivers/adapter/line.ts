/**
 * The adapter line: parses what arrives on the current byte link (firmware-protocols/adapter/PROTOCOL.md §6), lets a
 * transaction wait for a matching frame under a deadline, and closes a link on which the adapter has gone silent (no frame for `silenceMs`, docs/domain.md: offline after 3 missed
 * heartbeats) so that a hung peer is reconnected like a closed one.
 */
import { AdapterStreamParser, type ParsedItem } from '../../firmware-protocols/adapter';
import type { ByteLink, Clock, TimerHandle } from './ports';

export interface LineOptions {
  clock: Clock;
  silenceMs: number;
}

export interface LineListener {
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
  private silenceTimer: TimerHandle | null = null;

  constructor(
    private readonly opts: LineOptions,
    private readonly listener: LineListener,
  ) {}

  /** Takes over a freshly opened link (the bus scheduler's connection supervisor opens and reopens it). */
  attach(link: ByteLink): void {
    this.link = link;
    this.parser = new AdapterStreamParser(['reply', 'return']);
    link.onData((chunk) => {
      if (this.link === link) this.receive(chunk);
    });
    link.onClose(() => {
      if (this.link !== link) return;
      this.link = null;
      this.silenceTimer?.cancel();
      this.failWaiters();
    });
    this.armSilence();
  }

  stop(): void {
    this.silenceTimer?.cancel();
    const link = this.link;
    this.link = null;
    link?.close();
    this.failWaiters();
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
}
