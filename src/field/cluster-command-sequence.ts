/**
 * The command sequence of an instance of a cluster (docs/cluster.md, "Signed commands across owners"). Numbers come
 * in blocks reserved from the shared database (src/cluster/sequence-store.ts), so they never go back whichever
 * instance signs, and a terminal keeps accepting commands when its bus moves to another instance:
 *
 * - a block is reserved at start, before any bus opens, and the next one is reserved in the background once half of
 *   the current one is used, so `take()` (called while a driver signs) never waits for the database;
 * - before a bus taken over from another instance opens, `passTakeover()` reserves a fresh block and switches to it:
 *   every number after it is above every block reserved until then, including the block the previous owner signed
 *   that bus's commands from. A block being fetched in the background when it is called is dropped, never used.
 *   Buses gained together share one reservation.
 */
import { type SequenceBlock, type SequenceStore, SigningCertificateMismatchError } from '../cluster/sequence-store';
import { ConfigError } from '../config/env-values';
import type { CommandSequenceSource } from './command-sequence';

export const CLUSTER_SEQUENCE_BLOCK = 10_000;

export class ClusterCommandSequence implements CommandSequenceSource {
  private next = 1;
  private last = 0;
  private spare: SequenceBlock | null = null;
  private fetching: Promise<void> | null = null;
  /** Counts takeovers: a block reserved in the background before the latest one is not used. */
  private generation = 0;
  /** Takeovers asked for, and those a reservation started after has covered. */
  private requested = 0;
  private satisfied = 0;
  private reserving: Promise<void> | null = null;
  /** Why the last background reservation failed, for the error `take()` gives once the block runs out. */
  private failure: string | null = null;

  private constructor(
    private readonly store: SequenceStore,
    private readonly serial: string,
    private readonly floor: number,
    private readonly blockSize: number,
  ) {}

  /** Reserves the first block; refuses a certificate other than the cluster's (a ConfigError: the start stops). */
  static async start(
    store: SequenceStore,
    serial: string,
    floor: number,
    blockSize = CLUSTER_SEQUENCE_BLOCK,
  ): Promise<ClusterCommandSequence> {
    const sequence = new ClusterCommandSequence(store, serial, floor, blockSize);
    try {
      await sequence.passTakeover();
    } catch (e) {
      if (e instanceof SigningCertificateMismatchError) throw new ConfigError('DALABA_CLUSTER', e.message);
      throw e;
    }
    return sequence;
  }

  issued(): number {
    return this.next - 1;
  }

  take(): number {
    if (this.next > this.last) {
      if (!this.spare)
        throw new Error(
          `command sequence: the next block of numbers is not reserved yet (${this.failure ?? 'the database has not answered'})`,
        );
      this.use(this.spare);
      this.spare = null;
    }
    const n = this.next++;
    if (!this.spare && this.last - n < this.blockSize / 2) this.prefetch();
    return n;
  }

  passTakeover(): Promise<void> {
    const wanted = ++this.requested;
    this.generation++;
    this.spare = null;
    return this.until(wanted);
  }

  /** Takeovers that come together share one reservation: one started after all of them were asked for. */
  private async until(wanted: number): Promise<void> {
    while (this.satisfied < wanted) {
      this.reserving ??= this.reserveNow().finally(() => (this.reserving = null));
      await this.reserving;
    }
  }

  private async reserveNow(): Promise<void> {
    await Promise.resolve(); // the takeovers asked for in the same turn are covered by this reservation
    const covers = this.requested;
    const block = await this.store.reserve(this.serial, this.floor, this.blockSize);
    // one reservation at a time, each above the last: never back, whatever was handed out meanwhile
    if (block.first >= this.next) this.use(block);
    this.satisfied = Math.max(this.satisfied, covers);
  }

  private use(block: SequenceBlock): void {
    this.next = block.first;
    this.last = block.last;
  }

  private prefetch(): void {
    if (this.fetching) return;
    const generation = this.generation;
    this.fetching = this.store
      .reserve(this.serial, this.floor, this.blockSize)
      .then((block) => {
        this.failure = null;
        if (generation === this.generation && block.first > this.last) this.spare = block;
      })
      // tried again at the next take(); take() says why once the block runs out
      .catch((e: unknown) => void (this.failure = (e as Error).message))
      .finally(() => (this.fetching = null));
  }
}
