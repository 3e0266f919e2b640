/**
 * What a virtual adapter checks before it reads a command's body (firmware-protocols/adapter/PROTOCOL.md §2.3, §7.2):
 * signature present, certificate known and signature valid (else `badSignature`); signature not seen before, signing
 * time within the replay window of the adapter's clock and not more than the window before the newest signing time
 * accepted (else `refused`). A clock command (0x09) is let past
 * the window when its signing time is not older than the newest signing time accepted so far, so that an adapter
 * whose clock is lost can be set again, while an old captured clock command still cannot be replayed.
 */
import {
  COMMANDS,
  REPLAY_WINDOW_SECONDS,
  type CommandFrame,
  type FrameVerifier,
} from '../../../firmware-protocols/adapter';

export type GateVerdict = 'pass' | 'badSignature' | 'replay' | 'outsideWindow';

export class CommandGate {
  /** Accepted signatures (hex) and their signing times, ms; kept while a replay could still pass the time check. */
  private readonly seen = new Map<string, number>();
  /** The newest signing time accepted, ms (a real adapter keeps it across power loss). */
  private newestAccepted = 0;

  constructor(
    private readonly verifier: FrameVerifier | null,
    private readonly windowSeconds = REPLAY_WINDOW_SECONDS,
  ) {}

  /** Signatures remembered now (bounded by the command rate × twice the window). */
  remembered(): number {
    return this.seen.size;
  }

  check(frame: CommandFrame, nowMs: number): GateVerdict {
    const sig = frame.signature;
    if (sig === null || this.verifier === null || !this.verifier.verify(frame.signed, sig)) return 'badSignature';
    const key = Buffer.from(sig.signature).toString('hex');
    if (this.seen.has(key)) return 'replay';
    const at = sig.time.getTime();
    const w = this.windowSeconds * 1000;
    const inWindow = Math.abs(at - nowMs) <= w && at >= this.newestAccepted - w;
    const clockReset = frame.code === COMMANDS.clock && at >= this.newestAccepted;
    if (!inWindow && !clockReset) return 'outsideWindow';
    this.seen.set(key, at);
    this.newestAccepted = Math.max(this.newestAccepted, at);
    this.forget();
    return 'pass';
  }

  /**
   * Drops signatures the time check alone refuses whatever the clock does later: signed more than the window before
   * the newest accepted signing time (which only grows).
   */
  private forget(): void {
    const before = this.newestAccepted - this.windowSeconds * 1000;
    for (const [key, at] of this.seen) if (at < before) this.seen.delete(key);
  }
}
