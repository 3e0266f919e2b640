import fc from 'fast-check';
import { contentRange, parseRange } from './byte-range';

describe('parseRange', () => {
  it.each([
    [undefined, 1000, { kind: 'full' }],
    ['bytes=0-', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['bytes=0-1', 1000, { kind: 'partial', start: 0, end: 1 }],
    ['bytes=500-5000', 1000, { kind: 'partial', start: 500, end: 999 }],
    ['bytes=-100', 1000, { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 1000, { kind: 'full' }],
    ['bytes=0-1,5-6', 1000, { kind: 'full' }],
    ['items=0-1', 1000, { kind: 'full' }],
  ])('%s of %d bytes', (header, size, answer) => {
    expect(parseRange(header, size)).toEqual(answer);
  });

  it('always answers a range inside the body (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
        const r = parseRange(`bytes=${a ?? ''}-${b ?? ''}`, size);
        if (r.kind === 'partial') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeLessThan(size);
          expect(r.start).toBeLessThanOrEqual(r.end);
        }
      }),
    );
  });

  it('formats Content-Range', () => {
    expect(contentRange(0, 1, 1000)).toBe('bytes 0-1/1000');
  });
});
