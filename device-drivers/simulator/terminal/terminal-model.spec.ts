import { sm3 } from 'sm-crypto-v2';
import { PRIORITY, TERMINAL_STATES } from '../../../firmware-protocols/codes';
import { RECEIVE_STATES } from '../../../firmware-protocols/terminal-modbus/registers';
import { ClipStore } from './clip-store';
import { ModelCommand, TerminalModel } from './terminal-model';

const T0 = Date.UTC(2024, 9, 23, 2, 0, 0);
const play = (
  priority: number,
  handle: number,
  extra: Partial<Extract<ModelCommand, { code: 'play' }>['session']> = {},
): ModelCommand => ({
  code: 'play',
  session: {
    source: 'fm',
    clipId: 0,
    priority,
    broadcastClass: 5,
    repeat: 1,
    volume: 50,
    startAt: null,
    endAt: null,
    broadcastHandle: handle,
    ...extra,
  },
});

function storeClip(store: ClipStore, clipId: number, data: Buffer, durationMs = 10_000) {
  store.prepare({ clipId, size: data.length, codec: 1, digest: sm3(data), durationMs }, true);
  for (let i = 0; i * 240 < data.length; i++) store.chunk(clipId, i, data.subarray(i * 240, i * 240 + 240));
  return store.commit(clipId);
}

describe('TerminalModel acceptance', () => {
  it('refuses unsigned, forged and unknown-certificate commands and counts each', () => {
    const t = new TerminalModel(T0);
    expect(t.apply(T0, 1, 'unsigned', play(6, 1))).toBe('unsigned');
    expect(t.apply(T0, 2, 'forged', play(6, 1))).toBe('forged');
    expect(t.apply(T0, 3, 'unknown-certificate', play(6, 1))).toBe('unknown-certificate');
    expect(t.refused).toMatchObject({ unsigned: 1, forged: 1, unknownCertificate: 1 });
    expect(t.refusedTotal).toBe(3);
    expect(t.session).toBeNull();
    expect(t.lastSequence).toBe(0);
  });

  it('refuses a replayed or older sequence and keeps the last accepted one', () => {
    const t = new TerminalModel(T0);
    expect(t.apply(T0, 10, 'ok', { code: 'volume', volume: 40 })).toBeNull();
    expect(t.apply(T0, 10, 'ok', { code: 'volume', volume: 70 })).toBe('replayed');
    expect(t.apply(T0, 9, 'ok', { code: 'volume', volume: 70 })).toBe('replayed');
    expect(t.volume).toBe(40);
    expect(t.lastSequence).toBe(10);
    expect(t.refused.replayed).toBe(2);
  });

  it('obeys a play at equal or higher priority, refuses a lower one, and records the preempted session', () => {
    const t = new TerminalModel(T0);
    expect(t.apply(T0, 1, 'ok', play(PRIORITY.village, 11))).toBeNull();
    expect(t.apply(T0, 2, 'ok', play(PRIORITY.town, 12))).toBeNull();
    expect(t.apply(T0, 3, 'ok', play(PRIORITY.village, 13))).toBe('outranked');
    expect(t.apply(T0, 4, 'ok', play(PRIORITY.town, 14))).toBeNull();
    expect(t.apply(T0, 5, 'ok', play(2, 15))).toBeNull();
    expect(t.priority(T0)).toBe(2);
    expect(t.preempted.map((p) => [p.session.broadcastHandle, p.by])).toEqual([
      [11, 12],
      [12, 14],
      [14, 15],
    ]);
    expect(t.refused.outranked).toBe(1);
    expect(t.apply(T0, 6, 'ok', { code: 'stop', broadcastHandle: 0, priority: PRIORITY.county })).toBe('outranked');
    expect(t.apply(T0, 7, 'ok', { code: 'stop', broadcastHandle: 0, priority: 1 })).toBeNull();
    expect(t.priority(T0)).toBe(PRIORITY.idle);
  });
});

describe('TerminalModel playback timing', () => {
  it('plays a stored clip from its synchronised start for duration × repeat, then finishes', () => {
    const t = new TerminalModel(T0);
    expect(storeClip(t.clips, 7, Buffer.alloc(1000, 3), 4000)).toBe(RECEIVE_STATES.stored);
    expect(t.apply(T0, 1, 'ok', play(3, 9, { source: 'stored', clipId: 7, repeat: 3, startAt: T0 + 2000 }))).toBeNull();
    expect(t.state(T0 + 1999)).toBe(TERMINAL_STATES.normal);
    expect(t.state(T0 + 2000)).toBe(TERMINAL_STATES.broadcasting);
    expect(t.state(T0 + 2000 + 12_000 - 1)).toBe(TERMINAL_STATES.broadcasting);
    expect(t.state(T0 + 2000 + 12_000)).toBe(TERMINAL_STATES.normal);
    expect(t.finished).toHaveLength(1);
  });

  it('refuses a play of a clip it does not store', () => {
    const t = new TerminalModel(T0);
    expect(t.apply(T0, 1, 'ok', play(3, 9, { source: 'stored', clipId: 8 }))).toBe('no-such-clip');
  });

  it('plays a test tone for its seconds; a reboot stops playback and resets uptime but keeps the sequence', () => {
    const t = new TerminalModel(T0);
    expect(t.apply(T0, 5, 'ok', { code: 'test-tone', seconds: 3, volume: 30 })).toBeNull();
    expect(t.playing(T0 + 2999)).toBe(true);
    expect(t.playing(T0 + 3000)).toBe(false);
    expect(t.apply(T0 + 5000, 6, 'ok', play(6, 1, { repeat: 0 }))).toBeNull();
    expect(t.playing(T0 + 60_000)).toBe(true);
    expect(t.apply(T0 + 60_000, 7, 'ok', { code: 'reboot' })).toBeNull();
    expect(t.playing(T0 + 60_001)).toBe(false);
    expect(t.uptimeSeconds(T0 + 62_000)).toBe(2);
    expect(t.lastSequence).toBe(7);
  });
});

describe('ClipStore', () => {
  it('reports missing chunks, ignores a commit while chunks are missing, and checks the SM3 digest', () => {
    const s = new ClipStore();
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    expect(s.prepare({ clipId: 3, size: 1000, codec: 1, digest: sm3(data), durationMs: 1 }, true)).toBe(
      RECEIVE_STATES.receiving,
    );
    expect(s.chunkCount()).toBe(5);
    s.chunk(3, 0, data.subarray(0, 240));
    s.chunk(3, 4, data.subarray(960));
    expect(s.missing()).toEqual([1, 2, 3]);
    expect(s.commit(3)).toBe(RECEIVE_STATES.receiving);
    expect(s.chunk(3, 9, data.subarray(0, 240))).toBe(false);
    for (const i of [1, 2, 3]) s.chunk(3, i, data.subarray(i * 240, i * 240 + 240));
    expect(s.commit(3)).toBe(RECEIVE_STATES.stored);
    expect(s.prepare({ clipId: 3, size: 1000, codec: 1, digest: sm3(data), durationMs: 1 }, true)).toBe(
      RECEIVE_STATES.stored,
    );
  });

  it('keeps the chunks received when the clip being received is prepared again, and drops them for another clip', () => {
    const s = new ClipStore();
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    const clip = { clipId: 3, size: 1000, codec: 1, digest: sm3(data), durationMs: 1 };
    s.prepare(clip, true);
    s.chunk(3, 0, data.subarray(0, 240));
    s.chunk(3, 1, data.subarray(240, 480));
    expect(s.prepare({ ...clip, digest: clip.digest.toUpperCase() }, true)).toBe(RECEIVE_STATES.receiving);
    expect(s.missing()).toEqual([2, 3, 4]);
    // the same id with other data is another clip: it starts from nothing
    expect(s.prepare({ ...clip, digest: sm3(Buffer.alloc(1000)) }, true)).toBe(RECEIVE_STATES.receiving);
    expect(s.missing()).toEqual([0, 1, 2, 3, 4]);
    s.chunk(3, 0, Buffer.alloc(240));
    s.prepare({ clipId: 4, size: 480, codec: 1, digest: sm3(Buffer.alloc(480)), durationMs: 1 }, true);
    s.prepare({ ...clip, digest: sm3(Buffer.alloc(1000)) }, true);
    expect(s.missing()).toEqual([0, 1, 2, 3, 4]);
  });

  it('drops a clip whose data does not match its digest, and refuses what does not fit', () => {
    const s = new ClipStore(2000);
    const data = Buffer.alloc(480, 1);
    s.prepare({ clipId: 4, size: 480, codec: 1, digest: sm3(Buffer.alloc(480, 2)), durationMs: 1 }, true);
    s.chunk(4, 0, data.subarray(0, 240));
    s.chunk(4, 1, data.subarray(240));
    expect(s.commit(4)).toBe(RECEIVE_STATES.digestMismatch);
    expect(s.committed(4)).toBeUndefined();
    expect(s.prepare({ clipId: 5, size: 4000, codec: 1, digest: sm3(data), durationMs: 1 }, true)).toBe(
      RECEIVE_STATES.refused,
    );
    expect(s.prepare({ clipId: 5, size: 400, codec: 1, digest: sm3(data), durationMs: 1 }, false)).toBe(
      RECEIVE_STATES.refused,
    );
  });
});
