import { sm3 } from 'sm-crypto-v2';
import { RECEIVE_STATES } from '../../../firmware-protocols/terminal-modbus/registers';
import { ClipStore } from './clip-store';

describe('ClipStore.install (a terminal stocked before it reaches the line)', () => {
  const data = Buffer.from('stocked tone');
  const clip = {
    clipId: 7,
    size: data.length,
    codec: 1,
    digest: sm3(data.toString('hex')).toUpperCase(),
    durationMs: 500,
  };

  it('holds the clip as committed: a prepare of the same clip answers stored at once', () => {
    const store = new ClipStore();
    expect(store.install(clip)).toBe(true);
    expect(store.committed(7)).toMatchObject({ clipId: 7, size: data.length, digest: clip.digest.toLowerCase() });
    expect(store.prepare({ ...clip, digest: clip.digest.toLowerCase() }, true)).toBe(RECEIVE_STATES.stored);
  });

  it('keeps a clip already held, and refuses one that does not fit or has no data', () => {
    const store = new ClipStore(16);
    expect(store.install(clip)).toBe(true);
    expect(store.install({ ...clip, digest: '00' })).toBe(false);
    expect(store.committed(7)?.digest).toBe(clip.digest.toLowerCase());
    expect(store.install({ ...clip, clipId: 8 })).toBe(false);
    expect(store.install({ ...clip, clipId: 9, size: 0 })).toBe(false);
    expect(store.list()).toHaveLength(1);
  });
});
