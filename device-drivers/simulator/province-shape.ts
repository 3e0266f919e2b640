/**
 * A province of simulated counties (`npm run bench -- province`, docs/performance.md): counties of the reference
 * county's make-up (county-shape.ts), each with an area code of its own, six to a prefecture (34PP21–34PP26, PP from
 * 01), as many as `terminals` needs, the last one cut short so that the province holds exactly `terminals`. One process
 * cannot serve 100,000 simulated terminals, so `splitShape` cuts a shape into contiguous parts of about equal terminal
 * counts, one per simulator process; a gateway keeps its province-wide `index` in its part. Deterministic and pure.
 * County names are made up.
 */
import {
  referenceCounty,
  type CountyShape,
  type ShapeArea,
  type ShapeGateway,
  type ShapeOptions,
} from './county-shape';

export const PROVINCE_CODE = '340000000000';
export const COUNTIES_PER_PREFECTURE = 6;
/** Terminals of one reference county (county-shape.ts). */
export const COUNTY_TERMINALS = 3300;

const FIRST = ['东', '西', '南', '北', '青', '白', '金', '石', '龙', '凤', '桃', '松'];
const SECOND = ['山', '河', '湖', '溪', '阳', '城', '林', '原', '平', '宁'];

/** The k-th county of the province (0-based): its 6-digit code and made-up name. */
export function provinceCounty(k: number): { code: string; name: string } {
  const prefecture = 1 + Math.floor(k / COUNTIES_PER_PREFECTURE);
  if (prefecture > 99) throw new RangeError(`a province has at most ${99 * COUNTIES_PER_PREFECTURE} counties here`);
  const county = 21 + (k % COUNTIES_PER_PREFECTURE);
  const name = `${FIRST[k % FIRST.length]}${SECOND[Math.floor(k / FIRST.length) % SECOND.length]}县`;
  return { code: `34${String(prefecture).padStart(2, '0')}${county}`, name };
}

/** The area codes a gateway hangs under: its village, town and county. */
function lineage(villageCode: string): string[] {
  return [villageCode, `${villageCode.slice(0, 9)}000`, `${villageCode.slice(0, 6)}000000`];
}

/** Only the areas the gateways need (their villages, towns and counties), in the shape's order (parents first). */
function areasOf(areas: readonly ShapeArea[], gateways: readonly ShapeGateway[]): ShapeArea[] {
  const needed = new Set(gateways.flatMap((g) => lineage(g.areaCode)));
  return areas.filter((a) => needed.has(a.areaCode));
}

export interface ProvinceOptions extends Omit<ShapeOptions, 'county' | 'offset' | 'basePort'> {
  /** Terminals in all (≥ 1). */
  terminals: number;
}

/**
 * ⌈terminals / 3,300⌉ counties side by side (a prefecture a row); gateways numbered across the province. Gateways
 * listen on free ports (port 0 in the shape).
 */
export function provinceShape(o: ProvinceOptions): CountyShape {
  if (!Number.isInteger(o.terminals) || o.terminals < 1)
    throw new RangeError(`terminals: a whole number ≥ 1, got ${o.terminals}`);
  const areas: ShapeArea[] = [];
  const gateways: ShapeGateway[] = [];
  let left = o.terminals;
  for (let k = 0; left > 0; k++) {
    const county = referenceCounty({
      host: o.host,
      requestTimeoutMs: o.requestTimeoutMs,
      basePort: 0,
      county: provinceCounty(k),
      offset: {
        lat: -0.7 * Math.floor(k / COUNTIES_PER_PREFECTURE),
        lng: 0.8 * (k % COUNTIES_PER_PREFECTURE),
      },
    });
    const taken: ShapeGateway[] = [];
    for (const g of county.gateways) {
      if (left === 0) break;
      const terminals = g.terminals.slice(0, left);
      left -= terminals.length;
      taken.push({ ...g, index: gateways.length + taken.length, port: 0, terminals });
    }
    areas.push(...areasOf(county.areas, taken));
    gateways.push(...taken);
  }
  return {
    name: '模拟省',
    areaCode: PROVINCE_CODE,
    platformResourceCode: `2${PROVINCE_CODE}0101010101`,
    areas,
    gateways,
  };
}

/** Terminals of a shape. */
export function terminalCount(shape: Pick<CountyShape, 'gateways'>): number {
  return shape.gateways.reduce((n, g) => n + g.terminals.length, 0);
}

/**
 * `parts` contiguous runs of the shape's gateways with about equal terminal counts (a gateway goes to the part its
 * first terminal falls in), none empty; each part carries only the areas its gateways need.
 */
export function splitShape(shape: CountyShape, parts: number): CountyShape[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > shape.gateways.length)
    throw new RangeError(`parts: a whole number from 1 to ${shape.gateways.length}, got ${parts}`);
  const total = terminalCount(shape);
  const runs: ShapeGateway[][] = Array.from({ length: parts }, () => []);
  let before = 0;
  let at = 0;
  shape.gateways.forEach((g, i) => {
    const byTerminals = Math.min(parts - 1, Math.floor((before * parts) / total));
    // never fewer gateways left than parts to fill, never a part skipped
    const least = parts - (shape.gateways.length - i);
    at = Math.min(Math.max(byTerminals, least, at), i === 0 ? 0 : at + 1);
    runs[at].push(g);
    before += g.terminals.length;
  });
  return runs.map((gateways) => ({ ...shape, areas: areasOf(shape.areas, gateways), gateways }));
}

/** Part `part` (0-based) of `parts` of the province of `terminals` terminals: what one simulator process serves. */
export function provincePart(o: ProvinceOptions & { part: number; parts: number }): CountyShape {
  const parts = splitShape(provinceShape(o), o.parts);
  if (!Number.isInteger(o.part) || o.part < 0 || o.part >= parts.length)
    throw new RangeError(`part: 0 to ${parts.length - 1}, got ${o.part}`);
  return parts[o.part];
}
