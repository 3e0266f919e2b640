import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import { systemClock } from '../transport/clock';
import { ModbusTerminalBus } from './modbus-terminal-bus';
import { SignedBlockCache } from './signed-blocks';

describe('SignedBlockCache', () => {
  it('signs an identical command once within its window, again after it, and keeps at most `max` blocks', () => {
    let now = 0;
    let sequence = 0;
    const cache = new SignedBlockCache({ now: () => now, ttlMs: 5000, max: 2 });
    const sign = () => ({ sequence: ++sequence, registers: [sequence] });
    expect(cache.blockFor('play A', sign).sequence).toBe(1);
    now = 4999;
    expect(cache.blockFor('play A', sign).sequence).toBe(1);
    expect(cache.blockFor('prepare B', sign).sequence).toBe(2);
    now = 5000;
    expect(cache.blockFor('play A', sign).sequence).toBe(3);
    cache.blockFor('stop C', sign);
    // 'prepare B' was the oldest of three: forgotten
    expect(cache.blockFor('prepare B', sign).sequence).toBe(5);
  });

  it('tells the block a command would go out as, within its window, without signing one', () => {
    let now = 0;
    const cache = new SignedBlockCache({ now: () => now, ttlMs: 5000 });
    expect(cache.peek('play A')).toBeNull();
    cache.blockFor('play A', () => ({ sequence: 7, registers: [7] }));
    expect(cache.peek('play A')?.sequence).toBe(7);
    now = 5000;
    expect(cache.peek('play A')).toBeNull();
  });

  it("lets the buses of one controller sign a broadcast's steps once, and a technician's commands each time", () => {
    const signer = new Sm2Signer('202400000017', generateKeyPair().privateKey);
    const signedBlocks = new SignedBlockCache({ now: () => systemClock.now() });
    let seq = 0;
    const bus = (n: number) =>
      new ModbusTerminalBus({
        busId: `bus-${n}`,
        gateway: { kind: 'modbus-tcp', host: '127.0.0.1', port: 1 },
        clock: systemClock,
        signer,
        nextSequence: () => ++seq,
        signedBlocks,
      });
    const [a, b] = [bus(1), bus(2)];
    const play = {
      code: 'play',
      source: 'stored',
      clipId: 7,
      sourceParam: 0,
      priority: 2,
      broadcastClass: 4,
      volume: 80,
      repeat: 1,
      startAt: null,
      endAt: null,
      broadcastId: '43415230000000101010101202612010001',
    } as const;
    expect(b.sign(play)).toBe(a.sign(play));
    expect(
      a.sign({ code: 'prepare-clip', clipId: 7, codec: 'opus-16k', size: 100, digest: 'ab'.repeat(32) }).sequence,
    ).toBe(b.sign({ code: 'prepare-clip', clipId: 7, codec: 'opus-16k', size: 100, digest: 'ab'.repeat(32) }).sequence);
    const tone = { code: 'reboot' } as const;
    expect(a.sign(tone).sequence).not.toBe(a.sign(tone).sequence);
    // a play to one unit is signed anew: that unit may have taken the bus-wide copy, and would refuse it as a replay
    expect(a.sign(play, true).sequence).not.toBe(a.sign(play).sequence);
    expect(seq).toBe(5);
  });
});
