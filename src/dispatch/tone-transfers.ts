/**
 * The transfers of tone provisioning (tone-provisioning.ts): one tone to some terminals of a bus at a time, at the
 * lowest bus class. A transfer stops between frames when a broadcast run holds its bus and goes on once every hold is
 * released (the terminals keep the chunks they have, terminal-modbus PROTOCOL.md §6.1, so it resumes where it stopped);
 * one whose gateway went down is left for the next pass. What each terminal took goes to the tone holdings.
 */
import { FieldCommands, FieldError, failureOf } from '../field/field-commands';
import type { ClipVariant } from './broadcast-run';
import type { ProvisioningHolds } from './provisioning-holds';
import type { ToneHoldings } from './tone-holdings';

interface Running {
  abort: AbortController;
  toneId: string;
  /** Why it was aborted: a broadcast run holds the bus (resume after it), or the gateway's link went down. */
  why: 'held' | 'disconnected' | null;
}

export class ToneTransfers {
  /** gateway → the transfer under way on its bus */
  private readonly running = new Map<number, Running>();

  /** `stopped`: provisioning is shutting down; `changed`: a bus started or ended a transfer. */
  constructor(
    private readonly field: FieldCommands,
    private readonly holdings: ToneHoldings,
    private readonly busHolds: ProvisioningHolds,
    private readonly stopped: () => boolean,
    private readonly changed: () => void,
  ) {}

  /** Whether a transfer is under way on the gateway's bus. */
  storing(gatewayId: number): boolean {
    return this.running.has(gatewayId);
  }

  /** The gateways whose buses have a transfer under way. */
  gateways(): IterableIterator<number> {
    return this.running.keys();
  }

  /** Stops the transfer on the bus (if not stopped already), remembering why. */
  stop(gatewayId: number, why: 'held' | 'disconnected'): void {
    const r = this.running.get(gatewayId);
    if (!r || r.why !== null) return;
    r.why = why;
    r.abort.abort();
  }

  /** Aborts every transfer under way (shutting down). */
  abortAll(): void {
    for (const r of this.running.values()) r.abort.abort();
  }

  /** One tone to some terminals of a bus, waiting out holds and resuming after them; false = leave this bus for the next pass. */
  async transfer(gatewayId: number, toneId: string, clip: ClipVariant, ids: number[]): Promise<boolean> {
    for (;;) {
      while (this.busHolds.has(gatewayId) && !this.stopped()) await this.busHolds.released(gatewayId);
      if (this.stopped()) return false;
      const link = this.field.connection(gatewayId);
      if (link !== 'connected') {
        for (const id of ids)
          this.holdings.failedOn(toneId, id, `gateway ${gatewayId} ${link ?? 'closed'}: tried again on the next pass`);
        return false;
      }
      const abort = new AbortController();
      const running: Running = { abort, toneId, why: null };
      this.running.set(gatewayId, running);
      this.changed();
      try {
        const r = await this.field.transferClip(gatewayId, ids, clip, {
          priority: 'poll',
          signal: abort.signal,
          tryBackedOff: true,
        });
        for (const id of [...r.stored, ...r.alreadyStored]) this.holdings.heldOn(toneId, id, clip.clipId);
        for (const f of r.failed) this.holdings.failedOn(toneId, f.terminalId, f.failure.message);
        return true;
      } catch (e) {
        if (this.stopped()) return false;
        if (running.why === 'held') continue; // wait for the broadcast run, then resume
        if (running.why === 'disconnected' || (e instanceof FieldError && e.kind === 'cancelled')) {
          for (const id of ids)
            this.holdings.failedOn(
              toneId,
              id,
              `gateway ${gatewayId} went down during the transfer: tried again on the next pass`,
            );
          return false;
        }
        for (const id of ids) this.holdings.failedOn(toneId, id, failureOf(e).message);
        return true;
      } finally {
        if (this.running.get(gatewayId) === running) this.running.delete(gatewayId);
      }
    }
  }
}
