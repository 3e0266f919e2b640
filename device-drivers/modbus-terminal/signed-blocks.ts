/**
 * Sign once, write everywhere (PROTOCOL.md §5.2: one sequence per controller, "so that a block is signed once"). A
 * broadcast's prepare, play and stop are the same command on every bus; signed per bus they would cost the controller
 * one SM2 signature and every terminal family one verification per bus (280 in the reference county), all at once.
 * Buses that share this cache reuse the block of an identical command signed within the last few seconds. Terminals
 * that already took a block refuse it again as a replay (0x43), which for a command they already carry is harmless.
 */

/** A signed block ready to write: built once per command, written to as many units as needed. */
export interface SignedBlock {
  registers: number[];
  sequence: number;
}

/** How long a signed block is reused for the same command by default, ms. */
export const SIGNED_BLOCK_TTL_MS = 5_000;

export interface SignedBlockCacheOptions {
  /** How long a signed block is reused for the same command, ms. */
  ttlMs?: number;
  /** Most blocks kept. */
  max?: number;
  now: () => number;
}

export class SignedBlockCache {
  private readonly blocks = new Map<string, { block: SignedBlock; at: number }>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(private readonly opts: SignedBlockCacheOptions) {
    this.ttlMs = opts.ttlMs ?? SIGNED_BLOCK_TTL_MS;
    this.max = opts.max ?? 256;
  }

  /** The block of an identical command signed within the window, if there is one (nothing is signed). */
  peek(key: string): SignedBlock | null {
    const hit = this.blocks.get(key);
    return hit && this.opts.now() - hit.at < this.ttlMs ? hit.block : null;
  }

  /** The block of an identical command signed within the window, or the one `sign` makes now. */
  blockFor(key: string, sign: () => SignedBlock): SignedBlock {
    const now = this.opts.now();
    const hit = this.blocks.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.block;
    const block = sign();
    this.blocks.delete(key);
    this.blocks.set(key, { block, at: now });
    while (this.blocks.size > this.max) this.blocks.delete(this.blocks.keys().next().value as string);
    return block;
  }
}
