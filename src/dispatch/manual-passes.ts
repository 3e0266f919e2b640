/** Tone-provisioning passes asked for by hand (tone-provisioning.ts): at most one per area every so often. */
import type { Clock } from '../common/clock';
import { DomainError } from '../common/errors';

/** A pass by hand over one area at most this often, ms. */
export const MANUAL_PASS_EVERY_MS = 60_000;

export class ManualPasses {
  /** When a pass was last asked for by hand, per area of the caller's scope ('*': unrestricted). */
  private readonly last = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /**
   * A pass over these areas ('*': everything) now, when none of them had one in the last MANUAL_PASS_EVERY_MS;
   * otherwise 429 `too_many_passes`, saying how long to wait.
   */
  admit(keys: readonly string[]): void {
    const now = this.clock.now();
    for (const [k, at] of this.last) if (now - at >= MANUAL_PASS_EVERY_MS) this.last.delete(k);
    const last = Math.max(...keys.map((k) => this.last.get(k) ?? Number.NEGATIVE_INFINITY));
    if (now - last < MANUAL_PASS_EVERY_MS) {
      const wait = Math.ceil((last + MANUAL_PASS_EVERY_MS - now) / 1000);
      throw new DomainError(
        'too_many_passes',
        `a pass over this area was started less than ${MANUAL_PASS_EVERY_MS / 1000} s ago; try again in ${wait} s`,
        429,
        { retryAfterSeconds: wait },
      );
    }
    for (const k of keys) this.last.set(k, now);
  }
}
