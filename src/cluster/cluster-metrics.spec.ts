import { isTakeover } from './cluster-metrics';

describe('isTakeover', () => {
  it('counts a gained epoch whose previous epoch was not this instance', () => {
    expect(isTakeover(1, undefined)).toBe(false); // a bus nobody held before
    expect(isTakeover(5, undefined)).toBe(true); // held by someone else until now
    expect(isTakeover(5, 4)).toBe(false); // this instance held epoch 4 and took its own bus back
    expect(isTakeover(7, 4)).toBe(true); // others held 5 and 6
  });
});
