import { assertResourceCodeInArea, isWithinArea } from '../../firmware-protocols/codes';
import { referenceCounty } from './county-shape';
import { provinceCounty, provincePart, provinceShape, splitShape, terminalCount } from './province-shape';

describe('province shape', () => {
  it('is made of reference counties, six to a prefecture (34PP21–34PP26)', () => {
    expect([0, 1, 5, 6, 30].map((k) => provinceCounty(k).code)).toEqual([
      '340121',
      '340122',
      '340126',
      '340221',
      '340621',
    ]);
    const shape = provinceShape({ terminals: 2 * 3300 });
    const counties = shape.areas.filter((a) => a.level === 'county');
    expect(counties.map((c) => c.areaCode)).toEqual(['340121000000', '340122000000']);
    expect(shape.gateways).toHaveLength(560);
    const second = shape.gateways.slice(280).map((g) => g.terminals.map((t) => t.unitId));
    expect(second).toEqual(referenceCounty().gateways.map((g) => g.terminals.map((t) => t.unitId)));
  });

  it('holds exactly the terminals asked for, the last bus cut short, and only the areas its buses need', () => {
    for (const n of [1, 12, 3300, 3301, 20_000]) {
      const shape = provinceShape({ terminals: n });
      expect(terminalCount(shape)).toBe(n);
      const villages = new Set(shape.gateways.map((g) => g.areaCode));
      expect(shape.areas.filter((a) => a.level === 'village').every((a) => villages.has(a.areaCode))).toBe(true);
    }
    const shape = provinceShape({ terminals: 20_000 });
    expect(shape.areas.filter((a) => a.level === 'county')).toHaveLength(7);
    expect(shape.gateways.map((g) => g.index)).toEqual(shape.gateways.map((_, i) => i));
  });

  it('gives every terminal a unique resource code in its village, every area a registered parent', () => {
    const shape = provinceShape({ terminals: 7000 });
    const terminals = shape.gateways.flatMap((g) => g.terminals);
    expect(new Set(terminals.map((t) => t.resourceCode)).size).toBe(7000);
    expect(new Set(shape.gateways.map((g) => g.resourceCode)).size).toBe(shape.gateways.length);
    for (const t of terminals) assertResourceCodeInArea(t.resourceCode, t.areaCode);
    const codes = new Set(shape.areas.map((a) => a.areaCode));
    for (const a of shape.areas) {
      if (a.level === 'county') expect(a.parentCode).toBeNull();
      else {
        expect(codes.has(a.parentCode!)).toBe(true);
        expect(isWithinArea(a.areaCode, a.parentCode!)).toBe(true);
      }
    }
  });

  it('splits into contiguous parts of about equal terminal counts, none empty, every bus once', () => {
    const shape = provinceShape({ terminals: 20_000 });
    const parts = splitShape(shape, 3);
    expect(parts.flatMap((p) => p.gateways)).toEqual(shape.gateways);
    for (const p of parts) {
      expect(Math.abs(terminalCount(p) - 20_000 / 3)).toBeLessThanOrEqual(13);
      const villages = new Set(p.gateways.map((g) => g.areaCode));
      expect(p.areas.filter((a) => a.level === 'village').every((a) => villages.has(a.areaCode))).toBe(true);
    }
  });

  it('never leaves a part empty, even with as many parts as buses or uneven buses', () => {
    const shape = provinceShape({ terminals: 35 });
    for (let n = 1; n <= shape.gateways.length; n++) {
      const parts = splitShape(shape, n);
      expect(parts).toHaveLength(n);
      expect(parts.every((p) => p.gateways.length > 0)).toBe(true);
      expect(parts.flatMap((p) => p.gateways.map((g) => g.index))).toEqual(shape.gateways.map((g) => g.index));
    }
    expect(() => splitShape(shape, shape.gateways.length + 1)).toThrow(RangeError);
  });

  it('gives each simulator process the same part on every call', () => {
    const part = provincePart({ terminals: 10_000, part: 1, parts: 3 });
    expect(provincePart({ terminals: 10_000, part: 1, parts: 3 })).toEqual(part);
    expect(part.gateways[0].index).toBeGreaterThan(0);
    expect(() => provincePart({ terminals: 10_000, part: 3, parts: 3 })).toThrow(RangeError);
  });
});
