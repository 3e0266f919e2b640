/**
 * Slows password guessing: after MAX_FAILURES failed logins for one username from one address within WINDOW_MS, further
 * attempts are refused until the oldest failure leaves the window. A success clears the record. The table is capped
 * (oldest entries dropped first) so that a flood of invented usernames cannot grow it without bound.
 */
export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
const MAX_KEYS = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(username: string, from: string | undefined): string {
    return `${username.toLowerCase()}\u0000${from ?? ''}`;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - WINDOW_MS;
    const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  /** Seconds to wait before the next attempt is accepted, or 0 when it may go ahead. */
  retryAfterSeconds(username: string, from: string | undefined): number {
    const times = this.recent(this.key(username, from));
    if (times.length < MAX_FAILURES) return 0;
    return Math.max(1, Math.ceil((times[times.length - MAX_FAILURES] + WINDOW_MS - this.now()) / 1000));
  }

  failed(username: string, from: string | undefined): void {
    const key = this.key(username, from);
    const times = this.recent(key);
    times.push(this.now());
    this.failures.delete(key); // re-insert: Map order is the eviction order
    this.failures.set(key, times.slice(-MAX_FAILURES));
    while (this.failures.size > MAX_KEYS) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  succeeded(username: string, from: string | undefined): void {
    this.failures.delete(this.key(username, from));
  }

  get size(): number {
    return this.failures.size;
  }
}
