/**
 * Long audio work (transcoding, synthesis, tone generation) as pollable jobs: percent, state, the clip it makes, and
 * the reason when it failed. Held in memory (a job lives as long as the work; the clip row is the durable outcome),
 * capped: finished jobs beyond the cap are forgotten oldest first.
 */
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Subject, type Observable } from 'rxjs';
import { NotFoundError, withoutPaths } from '../../common/errors';

export type JobKind = 'upload' | 'tts' | 'tone' | 'compose';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface AudioJob {
  id: string;
  kind: JobKind;
  state: JobState;
  percent: number;
  clipId: string;
  /** Why it failed (state failed). */
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface JobHandle {
  readonly id: string;
  progress(percent: number): void;
}

export const MAX_KEPT_JOBS = 500;

@Injectable()
export class AudioJobs {
  private readonly jobs = new Map<string, AudioJob>();
  private readonly done = new Map<string, Promise<AudioJob>>();
  private readonly changes = new Subject<AudioJob>();

  /** Every change of every job (a snapshot each time the state or percent moves), for live progress. */
  readonly updates$: Observable<AudioJob> = this.changes.asObservable();

  constructor(private readonly now: () => Date) {}

  /** Starts `work` at once (it decides itself when to queue for a process slot) and returns the job. */
  start(kind: JobKind, clipId: string, work: (job: JobHandle) => Promise<void>): AudioJob {
    const job: AudioJob = {
      id: randomUUID(),
      kind,
      state: 'queued',
      percent: 0,
      clipId,
      error: null,
      createdAt: this.now(),
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    const handle: JobHandle = {
      id: job.id,
      progress: (percent) => {
        const next = Math.max(job.percent, Math.min(99, Math.floor(percent)));
        if (job.state === 'running' && next === job.percent) return;
        job.state = 'running';
        job.percent = next;
        this.changes.next({ ...job });
      },
    };
    const finished = work(handle).then(
      () => this.finish(Object.assign(job, { state: 'succeeded', percent: 100, finishedAt: this.now() })),
      (err: unknown) =>
        this.finish(
          Object.assign(job, {
            state: 'failed',
            error: withoutPaths(err instanceof Error ? err.message : String(err)),
            finishedAt: this.now(),
          }),
        ),
    );
    this.done.set(job.id, finished);
    this.prune();
    return { ...job };
  }

  /** Whether a job of this instance is working on the clip now. */
  isWorkingOn(clipId: string): boolean {
    for (const job of this.jobs.values()) if (job.clipId === clipId && job.finishedAt === null) return true;
    return false;
  }

  get(id: string): AudioJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError('audio job', id);
    return { ...job };
  }

  /** Resolves when the job has finished (succeeded or failed); for callers that wait in-process (seeding, tests). */
  async settled(id: string): Promise<AudioJob> {
    const finished = this.done.get(id);
    if (!finished) throw new NotFoundError('audio job', id);
    return { ...(await finished) };
  }

  private finish(job: AudioJob): AudioJob {
    this.changes.next({ ...job });
    return job;
  }

  private prune(): void {
    if (this.jobs.size <= MAX_KEPT_JOBS) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= MAX_KEPT_JOBS) break;
      if (job.finishedAt !== null) {
        this.jobs.delete(id);
        this.done.delete(id);
      }
    }
  }
}
