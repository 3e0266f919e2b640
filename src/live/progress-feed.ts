/**
 * Work in progress on the live channel: tone provisioning (technicians and officers, per area of their scope, its view
 * at most once a second) and audio jobs (those who use the audio library, by job id: every move of its percent).
 */
import type { AudioJob, AudioJobs } from '../audio/jobs/audio-jobs';
import { canReach } from '../auth/scope';
import { NotFoundError } from '../common/errors';
import type { ToneProvisioning } from '../dispatch/tone-provisioning';
import { type SubscribeReply, type Watcher, emptySnapshot, fail } from './subscription-request';

/** Who may follow an audio job: those who see the audio library (the job's id is its only other key). */
const AUDIO_ROLES = ['officer', 'approver', 'admin'];

/** Tone provisioning moves terminal by terminal: watchers get its view at most this often. */
export const TONES_EVERY_MS = 1000;

export class ProgressFeed {
  /** Clients following tone provisioning, with the areas they asked for (null: their whole scope). */
  private readonly toneWatch = new Map<Watcher, Set<string | null>>();
  /** Clients following an audio job, by job id. */
  private readonly jobWatch = new Map<string, Set<Watcher>>();

  constructor(
    private readonly provisioning: ToneProvisioning,
    private readonly audioJobs: AudioJobs,
  ) {}

  /** Technicians and officers (as GET /api/provisioning/tones): the view now, then again as provisioning moves. */
  subscribeTones(c: Watcher, key: string, areaCode: string | null): SubscribeReply {
    const roles = c.user.roles;
    if (!roles.some((r) => r === 'technician' || r === 'officer' || r === 'admin'))
      return fail('forbidden', 'tone provisioning is for technicians and officers');
    if (areaCode !== null && !canReach(c.user, areaCode))
      return fail('forbidden_area', `area ${areaCode} is outside your area scope`);
    const mine = this.toneWatch.get(c) ?? new Set<string | null>();
    mine.add(areaCode);
    this.toneWatch.set(c, mine);
    c.subscriptions.set(key, () => {
      mine.delete(areaCode);
      if (mine.size === 0) this.toneWatch.delete(c);
    });
    const view = this.provisioning.view(c.user, areaCode ?? undefined);
    return {
      ok: true,
      subscription: { kind: 'provisioning', id: areaCode },
      snapshot: { ...emptySnapshot(), provisioning: [{ areaCode, view }] },
    };
  }

  /** Those who see the audio library: the job now, then every move of its percent and its end. */
  subscribeAudioJob(c: Watcher, key: string, jobId: string): SubscribeReply {
    if (!c.user.roles.some((r) => AUDIO_ROLES.includes(r)))
      return fail('forbidden', 'audio jobs are for those who use the audio library');
    let job: AudioJob;
    try {
      job = this.audioJobs.get(jobId);
    } catch (e) {
      if (e instanceof NotFoundError) return fail('not_found', `no audio job ${jobId}`);
      throw e;
    }
    const set = this.jobWatch.get(jobId) ?? new Set<Watcher>();
    set.add(c);
    this.jobWatch.set(jobId, set);
    c.subscriptions.set(key, () => {
      set.delete(c);
      if (set.size === 0) this.jobWatch.delete(jobId);
    });
    return {
      ok: true,
      subscription: { kind: 'audioJob', id: jobId },
      snapshot: { ...emptySnapshot(), audioJobs: [job] },
    };
  }

  routeAudioJob(job: AudioJob): void {
    for (const c of this.jobWatch.get(job.id) ?? []) c.feed.audioJob(job);
  }

  routeTones(): void {
    for (const [c, areas] of this.toneWatch)
      for (const a of areas) c.feed.tones(a, this.provisioning.view(c.user, a ?? undefined));
  }
}
