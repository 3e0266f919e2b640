/**
 * The reference county (docs/performance.md) as data: 3,300 terminals in 25 towns and 280 villages, one Modbus TCP
 * gateway per village in front of an RS-485 bus at 9,600 baud 8E1 with 11–13 terminals. Deterministic and pure:
 * the simulator serves it, the benchmarks drive it and the demo registers it, all from this one description.
 * County 341523 (舒城县) is used for its real 6-digit code; town and village names are made up.
 */
import { generateResourceCode } from '../../firmware-protocols/codes';

export interface ShapeTerminal {
  unitId: number;
  name: string;
  resourceCode: string;
  areaCode: string;
  model: string;
  serialNumber: string;
  /** Where it stands (WGS-84 degrees): made up, villages around their town, terminals around their village. */
  latitude: number;
  longitude: number;
}

export interface ShapeGateway {
  index: number;
  name: string;
  resourceCode: string;
  areaCode: string;
  kind: 'modbus-tcp';
  host: string;
  port: number;
  baudRate: number;
  parity: 'even' | 'none' | 'odd';
  dataBits: 8;
  stopBits: 1 | 2;
  requestTimeoutMs: number;
  turnaroundMs: number;
  broadcastDelayMs: number;
  terminals: ShapeTerminal[];
}

export interface ShapeArea {
  areaCode: string;
  name: string;
  parentCode: string | null;
  level: 'county' | 'town' | 'village';
}

export interface CountyShape {
  name: string;
  areaCode: string;
  platformResourceCode: string;
  areas: ShapeArea[];
  gateways: ShapeGateway[];
}

export interface ShapeOptions {
  host?: string;
  /** Another county of the same make-up: its 6-digit GB/T 2260 code and name (default 341523, 舒城县). */
  county?: { code: string; name: string };
  /** Degrees added to every latitude and longitude (counties of a province side by side). */
  offset?: { lat: number; lng: number };
  /** Gateway i listens on basePort + i. */
  basePort?: number;
  requestTimeoutMs?: number;
}

const COUNTY_CODE = '341523000000';
const COUNTY_NAME = '舒城县';
const TOWN_NAMES = [
  '城关镇',
  '干汊河镇',
  '桃溪镇',
  '万佛湖镇',
  '千人桥镇',
  '百神庙镇',
  '杭埠镇',
  '南港镇',
  '汤池镇',
  '晓天镇',
  '河棚镇',
  '五显镇',
  '山七镇',
  '高峰乡',
  '棠树乡',
  '阙店乡',
  '春秋乡',
  '柏林乡',
  '庐镇乡',
  '张母桥镇',
  '舒茶镇',
  '仁和镇',
  '青岗镇',
  '西岗镇',
  '东港镇',
];
const VILLAGE_SYLLABLES = [
  '桃',
  '李',
  '柳',
  '松',
  '竹',
  '梅',
  '杏',
  '枫',
  '荷',
  '兰',
  '石',
  '河',
  '山',
  '塘',
  '岗',
  '湾',
  '桥',
  '庄',
];
const VILLAGE_SUFFIXES = ['园', '林', '湖', '冲', '店', '坝', '岭', '畈', '圩', '集', '铺', '楼', '埠', '台'];
const MODELS = ['DLB-T200', 'DLB-T300', 'DLB-T300F'];

/** Villages per town: the first five towns have 12, the other twenty 11 (280 in all). */
function villagesInTown(town: number): number {
  return town < 5 ? 12 : 11;
}

/** Terminals per village, by the village's index in the county: 80 villages of 11, 20 of 13, 180 of 12 = 3,300. */
function terminalsInVillage(villageIndex: number): number {
  const k = villageIndex % 14;
  if (k === 0 || k === 5 || k === 7 || k === 10) return 11;
  if (k === 3) return 13;
  return 12;
}

function villageName(i: number): string {
  const a = VILLAGE_SYLLABLES[i % VILLAGE_SYLLABLES.length];
  const b = VILLAGE_SUFFIXES[Math.floor(i / VILLAGE_SYLLABLES.length) % VILLAGE_SUFFIXES.length];
  return `${a}${b}村`;
}

/** The county's made-up extent (degrees), roughly where 舒城县 lies: towns on a jittered 5×5 grid inside it. */
const EXTENT = { south: 31.12, north: 31.72, west: 116.55, east: 117.32 };

/** A village's centre: its town's grid cell, the village on a ring around the town's centre. */
function villageCentre(town: number, village: number, villages: number): { lat: number; lng: number } {
  const rows = 5;
  const cellLat = (EXTENT.north - EXTENT.south) / rows;
  const cellLng = (EXTENT.east - EXTENT.west) / rows;
  const jitter = (k: number): number => (((town * 7919 + k * 104729) % 1000) / 1000 - 0.5) * 0.3;
  const lat = EXTENT.north - (Math.floor(town / rows) + 0.5 + jitter(1)) * cellLat;
  const lng = EXTENT.west + ((town % rows) + 0.5 + jitter(2)) * cellLng;
  const angle = (2 * Math.PI * village) / villages;
  const r = 0.3 + 0.08 * (village % 3);
  return { lat: lat + Math.sin(angle) * r * cellLat * 0.5, lng: lng + Math.cos(angle) * r * cellLng * 0.5 };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

function bus(
  index: number,
  name: string,
  areaCode: string,
  port: number,
  host: string,
  timeout: number,
  units: number,
  centre: { lat: number; lng: number },
): ShapeGateway {
  const terminals: ShapeTerminal[] = [];
  for (let u = 1; u <= units; u++) {
    const angle = (2 * Math.PI * u) / units + index;
    terminals.push({
      unitId: u,
      name: `${name.replace(/网关$/, '')}${u}号喇叭`,
      resourceCode: generateResourceCode(areaCode, 'terminal', u - 1, '04'),
      areaCode,
      model: MODELS[(index + u) % MODELS.length],
      serialNumber: `SN${areaCode.slice(6)}${String(u).padStart(3, '0')}`,
      latitude: round6(centre.lat + Math.sin(angle) * 0.006 * (1 + (u % 3))),
      longitude: round6(centre.lng + Math.cos(angle) * 0.007 * (1 + (u % 3))),
    });
  }
  return {
    index,
    name,
    resourceCode: generateResourceCode(areaCode, 'gateway', 0),
    areaCode,
    kind: 'modbus-tcp',
    host,
    port,
    baudRate: 9600,
    parity: 'even',
    dataBits: 8,
    stopBits: 1,
    requestTimeoutMs: timeout,
    turnaroundMs: 10,
    broadcastDelayMs: 50,
    terminals,
  };
}

export function referenceCounty(opts: ShapeOptions = {}): CountyShape {
  const host = opts.host ?? '127.0.0.1';
  const basePort = opts.basePort ?? 15020;
  const timeout = opts.requestTimeoutMs ?? 150;
  const code = opts.county?.code ?? COUNTY_CODE.slice(0, 6);
  const countyCode = `${code}000000`;
  const shift = opts.offset ?? { lat: 0, lng: 0 };
  const areas: ShapeArea[] = [
    { areaCode: countyCode, name: opts.county?.name ?? COUNTY_NAME, parentCode: null, level: 'county' },
  ];
  const gateways: ShapeGateway[] = [];
  let v = 0;
  TOWN_NAMES.forEach((townName, t) => {
    const townCode = `${code}${100 + t}000`;
    areas.push({ areaCode: townCode, name: townName, parentCode: countyCode, level: 'town' });
    for (let j = 0; j < villagesInTown(t); j++, v++) {
      const villageCode = `${code}${100 + t}${201 + j}`;
      const name = villageName(v);
      const centre = villageCentre(t, j, villagesInTown(t));
      areas.push({ areaCode: villageCode, name, parentCode: townCode, level: 'village' });
      gateways.push(
        bus(v, `${townName}${name}网关`, villageCode, basePort + v, host, timeout, terminalsInVillage(v), {
          lat: centre.lat + shift.lat,
          lng: centre.lng + shift.lng,
        }),
      );
    }
  });
  return {
    name: areas[0].name,
    areaCode: countyCode,
    platformResourceCode: `4${countyCode}0101010101`,
    areas,
    gateways,
  };
}

/** `long-bus` (docs/performance.md): one bus of 247 units, where the wire alone decides. */
export function longBusShape(opts: ShapeOptions = {}): CountyShape {
  const host = opts.host ?? '127.0.0.1';
  const basePort = opts.basePort ?? 15020;
  const townCode = '341523100000';
  const villageCode = '341523100201';
  return {
    name: COUNTY_NAME,
    areaCode: COUNTY_CODE,
    platformResourceCode: '43415230000000101010101',
    areas: [
      { areaCode: COUNTY_CODE, name: COUNTY_NAME, parentCode: null, level: 'county' },
      { areaCode: townCode, name: TOWN_NAMES[0], parentCode: COUNTY_CODE, level: 'town' },
      { areaCode: villageCode, name: villageName(0), parentCode: townCode, level: 'village' },
    ],
    gateways: [
      bus(
        0,
        `${TOWN_NAMES[0]}长线网关`,
        villageCode,
        basePort,
        host,
        opts.requestTimeoutMs ?? 150,
        247,
        villageCentre(0, 0, 1),
      ),
    ],
  };
}

/**
 * `long-clip` (docs/performance.md): one bus of 13 newer terminals at 115,200 baud 8E1 (turnaround 5 ms, broadcast delay
 * 10 ms), where a long stored clip is sent.
 */
export function clipBusShape(opts: ShapeOptions = {}): CountyShape {
  const county = longBusShape(opts);
  const g = bus(
    0,
    `${TOWN_NAMES[0]}高速网关`,
    county.gateways[0].areaCode,
    opts.basePort ?? 15020,
    opts.host ?? '127.0.0.1',
    opts.requestTimeoutMs ?? 150,
    13,
    villageCentre(0, 0, 1),
  );
  return { ...county, gateways: [{ ...g, baudRate: 115_200, turnaroundMs: 5, broadcastDelayMs: 10 }] };
}
