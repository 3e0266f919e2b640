import { planBalance, shareOf } from './balance';
import type { Lease } from './lease-store';

const NOW = 1_000_000;
const lease = (key: string, owner: string | null, expiresAt = NOW + 5000): [string, Lease] => [
  key,
  { key, owner, epoch: 1, expiresAt },
];

describe('shareOf', () => {
  it('gives every instance ⌊n/k⌋ or ⌈n/k⌉, adding up to n', () => {
    const live = ['c', 'a', 'b'];
    for (const n of [0, 1, 2, 3, 7, 10, 100]) {
      const shares = live.map((id) => shareOf(live, id, n));
      expect(shares.reduce((s, x) => s + x, 0)).toBe(n);
      for (const s of shares) expect([Math.floor(n / 3), Math.ceil(n / 3)]).toContain(s);
    }
    expect(shareOf(['a', 'b', 'c'], 'a', 7)).toBe(3);
    expect(shareOf(['a', 'b', 'c'], 'c', 7)).toBe(2);
    expect(shareOf(['a'], 'z', 7)).toBe(0);
  });
});

describe('planBalance', () => {
  const buses = ['bus:1', 'bus:2', 'bus:3', 'bus:4'];

  it('takes free, released and expired buses up to its share, skipping those held by others', () => {
    const plan = planBalance({
      me: 'a',
      now: NOW,
      buses,
      held: [],
      live: ['a', 'b'],
      leases: new Map([lease('bus:1', 'b'), lease('bus:2', null), lease('bus:3', 'b', NOW)]),
    });
    expect(plan).toEqual({ release: [], candidates: ['bus:2', 'bus:3', 'bus:4'], want: 2 });
  });

  it('releases what is above its share (the last keys) and what is no longer shared', () => {
    const plan = planBalance({
      me: 'b',
      now: NOW,
      buses,
      held: ['bus:1', 'bus:2', 'bus:3', 'bus:9'],
      live: ['a', 'b'],
      leases: new Map(),
    });
    expect(plan).toEqual({ release: ['bus:9', 'bus:3'], candidates: ['bus:4'], want: 0 });
  });
});
