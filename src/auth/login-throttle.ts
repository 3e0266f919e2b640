/**
 * Slows password guessing, keyed three ways, each over a sliding window of WINDOW_MS:
 * - one account from one address: MAX_FAILURES (10) failures, then refused until they age out;
 * - one address, whatever the accounts it tries: MAX_ADDRESS_FAILURES;
 * - one account, whatever the addresses trying it: MAX_ACCOUNT_FAILURES (high enough that one vandal cannot lock an
 *   officer out, low enough to slow a botnet).
 *
 * Memory is fixed: each key is counted in a count-min sketch (DEPTH rows of WIDTH saturating counters, for the current
 * and the previous window), so a flood of invented usernames or addresses can only raise counters, never push a
 * victim's count out of memory. Every counted failure cost the server a scrypt verification, which bounds a flood to a
 * few tens of thousands of keys per window, far below what would saturate WIDTH buckets in every row. A success
 * subtracts the account's count at that moment (a small bounded table of baselines; losing one only makes the
 * throttle stricter); an address's count is never reset by a success.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';

export const MAX_FAILURES = 10;
export const MAX_ADDRESS_FAILURES = 50;
export const MAX_ACCOUNT_FAILURES = 100;
export const WINDOW_MS = 15 * 60_000;
const WIDTH = 16_384;
const DEPTH = 4;
const MAX_BASELINES = 10_000;

/** A count-min sketch over two consecutive windows; the estimate weighs the previous window by how much of it still overlaps. */
class WindowedSketch {
  private current = new Uint16Array(WIDTH * DEPTH);
  private previous = new Uint16Array(WIDTH * DEPTH);
  private windowStart: number;

  constructor(
    private readonly now: () => number,
    private readonly salt: Buffer,
  ) {
    this.windowStart = Math.floor(now() / WINDOW_MS) * WINDOW_MS;
  }

  private rotate(): void {
    const start = Math.floor(this.now() / WINDOW_MS) * WINDOW_MS;
    if (start === this.windowStart) return;
    this.previous = start - this.windowStart === WINDOW_MS ? this.current : new Uint16Array(WIDTH * DEPTH);
    this.current = new Uint16Array(WIDTH * DEPTH);
    this.windowStart = start;
  }

  private cells(key: string): number[] {
    const h = createHash('sha256').update(this.salt).update(key).digest();
    return Array.from({ length: DEPTH }, (_, row) => row * WIDTH + (h.readUInt32BE(row * 4) % WIDTH));
  }

  add(key: string): void {
    this.rotate();
    for (const c of this.cells(key)) if (this.current[c] < 0xffff) this.current[c] += 1;
  }

  /** The failures of `key` over the last window, and the seconds until that count falls below `limit`. */
  estimate(key: string, limit: number, baseline = 0): { count: number; retryAfter: number } {
    this.rotate();
    const cells = this.cells(key);
    const cur = Math.min(...cells.map((c) => this.current[c]));
    const prev = Math.min(...cells.map((c) => this.previous[c]));
    const into = (this.now() - this.windowStart) / WINDOW_MS;
    const count = Math.max(0, cur + prev * (1 - into) - baseline);
    if (count < limit) return { count, retryAfter: 0 };
    const own = cur - baseline;
    const target = limit - 1; // a count at or below it is let through
    // within this window the previous one's share decays; past its end only this window's count is left, decaying next
    const within = prev > 0 && own <= target ? 1 - (target - own) / prev : Number.POSITIVE_INFINITY;
    const need =
      within <= 1
        ? (within - into) * WINDOW_MS
        : (1 - into) * WINDOW_MS + Math.max(0, 1 - (target + baseline) / Math.max(cur, 1)) * WINDOW_MS;
    return { count, retryAfter: Math.max(1, Math.ceil(need / 1000)) };
  }
}

/** An address as counted: IPv6 by its /64 (one subscriber holds a whole /64), IPv4 as it is. */
function addressKey(from: string | undefined): string {
  if (!from) return '-';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(from);
  if (v4) return v4[1];
  if (!isIPv6(from)) return from;
  const [head, tail = ''] = from.split('::');
  const groups = head.split(':').filter(Boolean);
  const fill = 8 - groups.length - tail.split(':').filter(Boolean).length;
  return (
    [...groups, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail.split(':').filter(Boolean)]
      .slice(0, 4)
      .join(':') + '::/64'
  );
}

export class LoginThrottle {
  private readonly pairs: WindowedSketch;
  private readonly addresses: WindowedSketch;
  private readonly accounts: WindowedSketch;
  /** Per account: its count (and per pair: that pair's) when it last logged in, subtracted from later estimates. */
  private readonly baselines = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {
    const salt = randomBytes(16);
    this.pairs = new WindowedSketch(now, salt);
    this.addresses = new WindowedSketch(now, salt);
    this.accounts = new WindowedSketch(now, salt);
  }

  private keys(username: string, from: string | undefined): { account: string; address: string; pair: string } {
    const account = `u:${username.normalize('NFC').toLowerCase()}`;
    const address = `a:${addressKey(from)}`;
    return { account, address, pair: `${account}\u0000${address}` };
  }

  /** Seconds to wait before the next attempt is accepted, or 0 when it may go ahead. */
  retryAfterSeconds(username: string, from: string | undefined): number {
    const k = this.keys(username, from);
    return Math.max(
      this.pairs.estimate(k.pair, MAX_FAILURES, this.baselines.get(k.pair)).retryAfter,
      this.accounts.estimate(k.account, MAX_ACCOUNT_FAILURES, this.baselines.get(k.account)).retryAfter,
      this.addresses.estimate(k.address, MAX_ADDRESS_FAILURES).retryAfter,
    );
  }

  failed(username: string, from: string | undefined): void {
    const k = this.keys(username, from);
    this.pairs.add(k.pair);
    this.accounts.add(k.account);
    this.addresses.add(k.address);
  }

  succeeded(username: string, from: string | undefined): void {
    const k = this.keys(username, from);
    for (const [key, sketch] of [
      [k.pair, this.pairs],
      [k.account, this.accounts],
    ] as const) {
      this.baselines.delete(key);
      const { count } = sketch.estimate(key, Number.POSITIVE_INFINITY);
      if (count > 0) this.baselines.set(key, count);
    }
    while (this.baselines.size > MAX_BASELINES) {
      const oldest = this.baselines.keys().next().value;
      if (oldest === undefined) break;
      this.baselines.delete(oldest);
    }
  }
}
