import { NotFoundError } from '../../common/errors';
import { AudioJobs, MAX_KEPT_JOBS } from './audio-jobs';

describe('AudioJobs', () => {
  it('reports progress while running and 100 % with the clip when done', async () => {
    const jobs = new AudioJobs(() => new Date());
    let report!: (p: number) => void;
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const job = jobs.start('upload', 'clip-1', async (h) => {
      report = (p) => h.progress(p);
      await gate;
    });
    expect(jobs.get(job.id)).toMatchObject({ state: 'queued', percent: 0, clipId: 'clip-1' });
    report(42.7);
    expect(jobs.get(job.id)).toMatchObject({ state: 'running', percent: 42 });
    report(10); // never goes backwards
    expect(jobs.get(job.id).percent).toBe(42);
    finish();
    expect(await jobs.settled(job.id)).toMatchObject({ state: 'succeeded', percent: 100, error: null });
  });

  it('publishes every change once, ending with the outcome', async () => {
    const jobs = new AudioJobs(() => new Date());
    const seen: string[] = [];
    jobs.updates$.subscribe((j) => seen.push(`${j.state}:${j.percent}`));
    const job = jobs.start('tone', 't', async (h) => {
      h.progress(10);
      h.progress(10);
      h.progress(60);
    });
    await jobs.settled(job.id);
    expect(seen).toEqual(['running:10', 'running:60', 'succeeded:100']);
  });

  it('keeps the reason of a failure', async () => {
    const jobs = new AudioJobs(() => new Date());
    const job = jobs.start('tts', 'clip-2', () => Promise.reject(new Error('espeak-ng exited with code 1')));
    expect(await jobs.settled(job.id)).toMatchObject({ state: 'failed', error: 'espeak-ng exited with code 1' });
  });

  it('answers 404 for an unknown job and forgets old finished jobs beyond the cap', async () => {
    const jobs = new AudioJobs(() => new Date());
    expect(() => jobs.get('nope')).toThrow(NotFoundError);
    const first = jobs.start('tone', 't', () => Promise.resolve());
    await jobs.settled(first.id);
    for (let i = 0; i < MAX_KEPT_JOBS; i++) jobs.start('tone', 't', () => Promise.resolve());
    expect(() => jobs.get(first.id)).toThrow(NotFoundError);
  });
});
