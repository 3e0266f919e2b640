import * as fc from 'fast-check';
import vectors from './vectors/codes.json';
import {
  areaLevel,
  areaPrefix,
  assertResourceCodeInArea,
  broadcastClassOf,
  isDrillMessage,
  MESSAGE_TYPE_KEYS,
  MESSAGE_TYPES,
  CodeError,
  composeBroadcastId,
  decodeBcd,
  decodeBroadcastId,
  decodeResourceCode,
  encodeBcd,
  encodeBroadcastId,
  encodeResourceCode,
  faultsFromBitmap,
  bitmapFromFaults,
  generateResourceCode,
  isAreaCode,
  isWithinArea,
  parentAreaCode,
  parseBroadcastId,
  parseResourceCode,
  preempts,
  priorityOf,
} from './index';

describe('area codes', () => {
  it.each(vectors.areaCodes)('$code is a $level', (v) => {
    expect(areaLevel(v.code)).toBe(v.level);
    expect(areaPrefix(v.code)).toBe(v.prefix);
    expect(parentAreaCode(v.code)).toBe(v.parent);
  });
  it.each(vectors.badAreaCodes)('%s is refused with the field named', (code) => {
    expect(isAreaCode(code)).toBe(false);
    expect(() => areaLevel(code, 'areaCode')).toThrow(CodeError);
    expect(() => areaLevel(code, 'areaCode')).toThrow(/areaCode/);
  });
  it('nests villages in towns in counties, and not across', () => {
    expect(isWithinArea('341523100201', '341523000000')).toBe(true);
    expect(isWithinArea('341523100201', '341523100000')).toBe(true);
    expect(isWithinArea('341523100201001', '341523100201')).toBe(true);
    expect(isWithinArea('341523101201', '341523100000')).toBe(false);
    expect(isWithinArea('341523000000', '341523100000')).toBe(false);
  });
});

describe('resource codes', () => {
  it.each(vectors.resourceCodes)('$code round-trips through 12 BCD bytes', (v) => {
    expect(encodeResourceCode(v.code).toString('hex')).toBe(v.bcd);
    expect(decodeResourceCode(Buffer.from(v.bcd, 'hex'))).toBe(v.code);
    const p = parseResourceCode(v.code);
    expect(p.level).toBe(v.level);
    expect(p.areaCode).toBe(v.areaCode);
    expect(p.type).toBe(v.type);
  });
  it('decodes legacy 18-digit codes from 9 bytes', () => {
    expect(decodeResourceCode(Buffer.from('634152310020003010', 'hex'))).toBe('634152310020003010');
  });
  it('checks a code against its area and level', () => {
    expect(() => assertResourceCodeInArea('63415231002000301010401', '341523100200')).not.toThrow();
    expect(() => assertResourceCodeInArea('63415231002000301010401', '341523100201')).toThrow(/carries area/);
    expect(() => assertResourceCodeInArea('53415231002000301010401', '341523100200')).toThrow(/level 5/);
  });
  it('generates distinct valid codes consistent with the area', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const c = generateResourceCode('341523100201', 'terminal', i, '04');
      assertResourceCodeInArea(c, '341523100201');
      codes.add(c);
    }
    expect(codes.size).toBe(300);
    expect(generateResourceCode('341523100201001', 'terminal', 0, '04').slice(1, 13)).toBe('341523100201');
  });
});

describe('broadcast ids', () => {
  it.each(vectors.broadcastIds)('$id round-trips through 18 BCD bytes', (v) => {
    expect(encodeBroadcastId(v.id).toString('hex')).toBe(v.bcd);
    expect(decodeBroadcastId(Buffer.from(v.bcd, 'hex'))).toBe(v.id);
    expect(parseBroadcastId(v.id)).toMatchObject({ date: v.date, sequence: v.sequence });
  });
  it('uses the Shanghai calendar date', () => {
    // 2024-10-22T16:30Z is already 2024-10-23 00:30 in Shanghai
    expect(composeBroadcastId('43415230000000101010101', new Date('2024-10-22T16:30:00Z'), 7)).toBe(
      '43415230000000101010101202410230007',
    );
  });
});

describe('bcd', () => {
  it('round-trips any digit string', () => {
    fc.assert(fc.property(fc.stringMatching(/^\d{0,40}$/), (s) => decodeBcd(encodeBcd(s)) === s));
  });
  it('refuses nibbles above 9', () => {
    expect(() => decodeBcd(Buffer.from([0x1a]))).toThrow(/not a BCD digit/);
  });
});

describe('faults and priority', () => {
  it('maps fault bitmaps both ways', () => {
    expect(faultsFromBitmap(bitmapFromFaults(['speakerLineOpen', 'mainsLost']))).toEqual([
      'speakerLineOpen',
      'mainsLost',
    ]);
  });
  it('lets a more severe emergency preempt, not an equal one', () => {
    expect(
      preempts(priorityOf({ kind: 'emergency', severity: 1 }), priorityOf({ kind: 'daily', level: 'county' })),
    ).toBe(true);
    expect(preempts(priorityOf({ kind: 'drill' }), priorityOf({ kind: 'drill' }))).toBe(false);
  });
});

describe('message types', () => {
  it.each([
    ['real', 1, 4, false],
    ['cancel', 2, 4, false],
    ['platformDrill', 3, 1, true],
    ['frontEndDrill', 4, 2, true],
    ['terminalDrill', 5, 3, true],
  ] as const)('%s (code %i) travels as broadcast class %i, drill %s', (key, code, cls, drill) => {
    expect(MESSAGE_TYPES[key]).toBe(code);
    expect(broadcastClassOf(key)).toBe(cls);
    expect(isDrillMessage(key)).toBe(drill);
  });
  it('covers every message type', () => {
    expect(MESSAGE_TYPE_KEYS).toEqual(['real', 'cancel', 'platformDrill', 'frontEndDrill', 'terminalDrill']);
  });
});
