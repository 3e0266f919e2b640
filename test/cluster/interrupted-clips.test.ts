/**
 * Clips left `processing` by an instance that stopped (docs/cluster.md, "Clip files across instances"): two instances
 * on one database and one (manual) time line. Once the instance doing the work is no longer live (its heartbeat a
 * lease term old, or gone at a clean shutdown) the survivor fails its uploads and syntheses with a message saying so
 * and puts its tones back to pending; a live peer's work is left alone; an instance restarted under the same id fails
 * its own interrupted work at start, as a single instance fails all of it.
 */
import { Logger } from '@nestjs/common';
import { InterruptedClips } from '../../src/audio/library/interrupted-clips';
import { ClipRepository, type ClipKind, type ClipRow } from '../../src/audio/library/clip.repository';
import { LeaseManager } from '../../src/cluster/lease-manager';
import type { AppConfig } from '../../src/config/config';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';
import { InstanceClock, ManualClock } from './manual-clock';

const LEASE = 3000;
const T0 = Date.parse('2026-12-07T02:00:00Z');
const IDS = ['A', 'B'];
const STOPPED_A = 'interrupted: instance A, which was processing it, stopped; upload, synthesise or compose again';
const RESTARTED = 'interrupted by a server restart; upload, synthesise or compose again';

/** What ClipRepository reads of the configuration: the instance's id. */
const configOf = (instanceId: string): Pick<AppConfig, 'cluster'> => ({
  cluster: { enabled: true, leaseMs: LEASE, instanceId, redisUrl: null, redisPrefix: 'dalaba' },
});

forEachDatabase('clips of a stopped instance', (database) => {
  let shared: SharedDatabase;
  let clock: ManualClock;
  let views: InstanceClock[];
  let managers: LeaseManager[];
  let clips: ClipRepository[];
  let watchers: InterruptedClips[];

  beforeAll(() => Logger.overrideLogger(false));

  const instance = (id: string, i: number): void => {
    views[i] = new InstanceClock(clock);
    managers[i] = new LeaseManager(shared.stores[i], views[i], {
      clustered: true,
      instanceId: id,
      label: id,
      leaseMs: LEASE,
    });
    clips[i] = new ClipRepository(shared.sources[i], configOf(id));
    watchers[i] = new InterruptedClips(clips[i], managers[i]);
  };
  const start = async (i: number): Promise<void> => {
    await watchers[i].start();
    managers[i].start();
    await managers[i].idle();
    await watchers[i].idle();
  };

  beforeEach(async () => {
    shared = await sharedDatabase(database, 2);
    clock = new ManualClock(T0);
    views = [];
    managers = [];
    clips = [];
    watchers = [];
    IDS.forEach((id, i) => instance(id, i));
    for (const i of IDS.keys()) await start(i);
  });

  afterEach(async () => {
    for (const v of views) v.resume();
    for (const w of watchers) await w.stop();
    await Promise.all(managers.map((m) => m.stop()));
    await shared.close();
  });

  /** Time goes on by `n` renewal periods; each instance's renewal, and the pass over clips it starts, runs to its end. */
  const periods = async (n: number): Promise<void> => {
    for (let k = 0; k < n; k++) {
      clock.advance(LEASE / 3);
      await Promise.all(managers.map((m) => m.idle()));
      await Promise.all(watchers.map((w) => w.idle()));
    }
  };

  /** A clip instance `i` starts processing: an upload or synthesis made there, or a built-in tone it claimed. */
  const processing = async (i: number, id: string, kind: ClipKind): Promise<void> => {
    const row: ClipRow = {
      id,
      kind,
      title: id,
      state: kind === 'tone' ? 'pending' : 'processing',
      error: null,
      source: null,
      durationMs: null,
      createdById: null,
      createdAt: new Date(clock.now()),
    };
    await clips[i].insertClip(row);
    if (kind === 'tone') expect(await clips[i].claim(id, ['pending'])).toBe(true);
  };
  const stateOf = async (id: string): Promise<Pick<ClipRow, 'state' | 'error'> | undefined> => {
    const row = await clips[1].findClip(id);
    return row ? { state: row.state, error: row.error } : undefined;
  };

  it('fails the uploads and syntheses a killed instance was processing once it is no longer live; its tones go back to pending', async () => {
    await processing(0, 'upload-a', 'upload');
    await processing(0, 'tts-a', 'tts');
    await processing(0, 'composed-a', 'composed');
    await processing(0, 'tone-air-raid', 'tone');
    await processing(0, 'upload-done', 'upload');
    await clips[0].updateClip('upload-done', { state: 'ready', durationMs: 1000 });
    await processing(1, 'upload-b', 'upload');
    await periods(3);
    for (const id of ['upload-a', 'tts-a', 'composed-a', 'tone-air-raid', 'upload-b'])
      expect(await stateOf(id)).toEqual({ state: 'processing', error: null });
    expect(await clips[1].processingBy()).toEqual(['A', 'B']);

    views[0].kill();
    await periods(1); // its heartbeat is younger than a term: still live
    expect(await stateOf('upload-a')).toEqual({ state: 'processing', error: null });

    await periods(3);
    expect(await stateOf('upload-a')).toEqual({ state: 'failed', error: STOPPED_A });
    expect(await stateOf('tts-a')).toEqual({ state: 'failed', error: STOPPED_A });
    expect(await stateOf('composed-a')).toEqual({ state: 'failed', error: STOPPED_A });
    expect(await stateOf('tone-air-raid')).toEqual({ state: 'pending', error: null });
    expect(await stateOf('upload-b')).toEqual({ state: 'processing', error: null });
    expect(await stateOf('upload-done')).toEqual({ state: 'ready', error: null });
    expect(await clips[1].processingBy()).toEqual(['B']);
  });

  it('leaves a live peer’s work alone, and fails it once that peer has shut down with it under way', async () => {
    await processing(0, 'upload-a', 'upload');
    await processing(1, 'upload-b', 'upload');
    await periods(6);
    expect(await stateOf('upload-a')).toEqual({ state: 'processing', error: null });
    expect(await stateOf('upload-b')).toEqual({ state: 'processing', error: null });

    await watchers[0].stop();
    await managers[0].stop(); // a clean shutdown: it leaves the cluster at once
    await periods(1);
    expect(await stateOf('upload-a')).toEqual({ state: 'failed', error: STOPPED_A });
    expect(await stateOf('upload-b')).toEqual({ state: 'processing', error: null });
  });

  it('fails, when restarted under the same id, its own interrupted work at start, and not its live peer’s', async () => {
    await processing(0, 'upload-a', 'upload');
    await processing(0, 'tone-air-raid', 'tone');
    await processing(1, 'upload-b', 'upload');
    await periods(1);
    views[0].kill();

    instance('A', 0); // at once: to the peer it never stopped being live
    await start(0);
    expect(await stateOf('upload-a')).toEqual({ state: 'failed', error: RESTARTED });
    expect(await stateOf('tone-air-raid')).toEqual({ state: 'pending', error: null });
    expect(await stateOf('upload-b')).toEqual({ state: 'processing', error: null });

    await processing(0, 'upload-a2', 'upload'); // its new work is its own, under way
    await periods(6);
    expect(await stateOf('upload-a2')).toEqual({ state: 'processing', error: null });
    expect(await stateOf('upload-b')).toEqual({ state: 'processing', error: null });
  });

  it('fails, not clustered, every upload and synthesis processing at start, and puts every tone back to pending', async () => {
    await processing(0, 'upload-a', 'upload');
    await processing(1, 'tts-b', 'tts');
    await processing(1, 'tone-air-raid', 'tone');
    const single = new LeaseManager(null, new InstanceClock(clock), {
      clustered: false,
      instanceId: 'C',
      label: 'C',
      leaseMs: LEASE,
    });
    await new InterruptedClips(new ClipRepository(shared.sources[0], configOf('C')), single).start();
    expect(await stateOf('upload-a')).toEqual({ state: 'failed', error: RESTARTED });
    expect(await stateOf('tts-b')).toEqual({ state: 'failed', error: RESTARTED });
    expect(await stateOf('tone-air-raid')).toEqual({ state: 'pending', error: null });
  });
});
