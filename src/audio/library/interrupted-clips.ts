/**
 * Clips whose work was lost with the process doing it. An upload, a synthesis, a composition (a tone before a message)
 * or a tone being generated is `processing` while a job of the instance that took it runs (its work files and the job
 * live in that process only, src/audio/jobs/audio-jobs.ts); if the process ends first, nothing else would ever move
 * the clip on. Uploads, syntheses and compositions are then failed, the user told to start again; tones go back to
 * pending, generated again on first use.
 *
 * - Not clustered, at start: every clip processing (this was the only instance).
 * - Clustered, at start: the clips this instance id was processing before it restarted (the others may be under way
 *   elsewhere).
 * - Clustered, on the instances still live: the clips of an instance that is no longer live as the cluster judges it
 *   (heartbeat a lease term old, or gone at a clean shutdown: LeaseManager.members), looked for at the first renewal,
 *   whenever an instance drops out of the live ones, and after a look that failed. Every survivor looks; the updates
 *   match only clips still processing by that instance, so each clip is failed once.
 *
 * No job of the instance doing the work is left to report on /live: a client following one gets `not_found` when it
 * subscribes again (on its reconnection to another instance), and the clip row shows the failure on the next read.
 */
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { LeaseManager } from '../../cluster/lease-manager';
import { ClipRepository, RESTARTED } from './clip.repository';

/** The error of an upload or synthesis whose instance stopped while processing it. */
export const stoppedReason = (instanceId: string): string =>
  `interrupted: instance ${instanceId}, which was processing it, stopped; upload, synthesise or compose again`;

@Injectable()
export class InterruptedClips implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Audio');
  private subscription: Subscription | null = null;
  /** The live instances as last seen; null before the first renewal. */
  private known: Set<string> | null = null;
  /** The last look failed (the database did not answer): look again at the next renewal. */
  private retry = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly clips: ClipRepository,
    private readonly leases: LeaseManager,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Fails this instance's interrupted work; clustered, then follows the live instances. */
  async start(): Promise<void> {
    if (!this.leases.clustered) {
      const n = await this.clips.failInterrupted(RESTARTED);
      if (n > 0) this.log.warn(`${n} upload(s) or synthesis(es) interrupted by the restart marked failed`);
      return;
    }
    const me = this.leases.options.instanceId;
    const n = await this.clips.failInterrupted(RESTARTED, me);
    if (n > 0) this.log.warn(`${n} upload(s) or synthesis(es) this instance (${me}) had under way marked failed`);
    this.subscription ??= this.leases.members.subscribe((live) => this.seen(live));
  }

  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = null;
    await this.running;
  }

  /** Resolves once the look under way (if any) has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  private seen(live: readonly string[]): void {
    const now = new Set(live);
    const dropped = this.known === null || [...this.known].some((id) => !now.has(id));
    this.known = now;
    if (!dropped && !this.retry) return;
    this.running = this.running.then(() => this.failStopped(now));
  }

  /** Fails the work of every instance processing clips that is not among `live`. */
  private async failStopped(live: ReadonlySet<string>): Promise<void> {
    this.retry = false;
    try {
      for (const id of await this.clips.processingBy()) {
        if (live.has(id)) continue;
        const n = await this.clips.failInterrupted(stoppedReason(id), id);
        this.log.warn(`instance ${id} stopped: ${n} upload(s) or synthesis(es) it had under way marked failed`);
      }
    } catch (e) {
      this.retry = true;
      this.log.warn(`clips of stopped instances not checked: ${(e as Error).message}`);
    }
  }
}
