import { assertResourceCodeInArea, isWithinArea } from '../../firmware-protocols/codes';
import { longBusShape, referenceCounty } from './county-shape';

describe('reference county shape', () => {
  const county = referenceCounty();
  const terminals = county.gateways.flatMap((g) => g.terminals);

  it('has 25 towns, 280 villages, 280 gateways and 3,300 terminals with 11–13 per bus', () => {
    expect(county.areas.filter((a) => a.level === 'town')).toHaveLength(25);
    expect(county.areas.filter((a) => a.level === 'village')).toHaveLength(280);
    expect(county.gateways).toHaveLength(280);
    expect(terminals).toHaveLength(3300);
    const sizes = new Set(county.gateways.map((g) => g.terminals.length));
    expect([...sizes].sort()).toEqual([11, 12, 13]);
  });

  it('gives every terminal a unique resource code consistent with its village', () => {
    expect(new Set(terminals.map((t) => t.resourceCode)).size).toBe(3300);
    for (const t of terminals) assertResourceCodeInArea(t.resourceCode, t.areaCode);
    for (const a of county.areas) if (a.parentCode) expect(isWithinArea(a.areaCode, a.parentCode)).toBe(true);
  });

  it('gives every gateway its own loopback port', () => {
    expect(new Set(county.gateways.map((g) => g.port)).size).toBe(280);
  });

  it('is the same on every call (deterministic)', () => {
    expect(referenceCounty()).toEqual(county);
  });

  it('long-bus is one bus of 247 units', () => {
    const shape = longBusShape();
    expect(shape.gateways).toHaveLength(1);
    expect(shape.gateways[0].terminals).toHaveLength(247);
  });
});
