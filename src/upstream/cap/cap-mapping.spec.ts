import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCap } from '../../../firmware-protocols/ebd';
import { feedLinks } from './cap-feeds';
import { areaCodesOf, eventTypeOf, mapCap, terminalsCovered } from './cap-mapping';

const sample = (name: string) =>
  parseCap(readFileSync(join(__dirname, '../../../firmware-protocols/ebd/vectors/cap', name), 'utf8'));
const NOW = new Date('2026-12-06T12:30:00Z');

describe('CAP 1.2 → alert fields', () => {
  it('maps a county rainstorm warning: event code, Severe → Ⅱ, geocode → area, Beijing times', () => {
    const m = mapCap(sample('cma-rainstorm-county.xml'), [], NOW);
    expect(m).toMatchObject({
      action: 'alert',
      notAired: null,
      messageType: 'real',
      eventType: '11B03',
      severity: 2,
      areaCodes: ['341523100000'],
      senderName: '舒城县气象台',
      language: 'zh-CN',
    });
    expect(m.startAt?.toISOString()).toBe('2026-12-06T12:00:00.000Z');
  });

  it('reads a cancel by its references, and holds back what is past', () => {
    expect(mapCap(sample('cma-cancel-county.xml'), [], NOW)).toMatchObject({
      action: 'cancel',
      relatedUpstreamId: '34152341600000,34152341600000_20261206200000',
      notAired: null,
    });
    expect(mapCap(sample('oasis-earthquake.xml'), [], NOW).notAired).toMatch(/Past/);
    expect(mapCap(sample('oasis-thunderstorm.xml'), [], NOW).notAired).toMatch(/expired/);
  });

  it('finds the event by words when there is no event code, else 10000', () => {
    expect(eventTypeOf(sample('cma-typhoon-polygon.xml').infos[0])).toBe('11B06');
    expect(eventTypeOf(sample('oasis-thunderstorm.xml').infos[0])).toBe('11B14');
    expect(eventTypeOf(sample('oasis-homeland-security.xml').infos[0])).toBe('10000');
  });

  it('pads 6-digit geocodes and ignores other code systems', () => {
    expect(
      areaCodesOf([
        {
          areaDesc: '',
          polygons: [],
          circles: [],
          geocodes: [
            { valueName: 'CN_AreaCode', value: '341523' },
            { valueName: 'SAME', value: '006109' },
          ],
        },
      ]),
    ).toEqual(['341523000000']);
  });

  it('selects terminals inside polygons and circles by their coordinates', () => {
    const terminals = [
      { id: 1, latitude: 31.35, longitude: 116.95 },
      { id: 2, latitude: 30.0, longitude: 116.95 },
      { id: 3, latitude: null, longitude: null },
      { id: 4, latitude: 31.0, longitude: 117.0 },
    ];
    expect(terminalsCovered(sample('cma-typhoon-polygon.xml').infos[0].areas, terminals)).toEqual([1]);
    expect(
      terminalsCovered([{ areaDesc: '', polygons: [], circles: ['31.0,117.0 5'], geocodes: [] }], terminals),
    ).toEqual([4]);
  });
});

describe('CAP feeds', () => {
  it('lists the CAP documents of an Atom feed (the cap+xml link first) and of an RSS feed, relative links resolved', () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>预警</title>
      <entry><id>1</id><link rel="alternate" type="text/html" href="/page/1"/><link rel="alternate" type="application/cap+xml" href="/cap/1.xml"/></entry>
      <entry><id>2</id><link href="https://warn.example/cap/2.xml"/></entry></feed>`;
    expect(feedLinks(atom, 'https://warn.example/feed.atom')).toEqual([
      'https://warn.example/cap/1.xml',
      'https://warn.example/cap/2.xml',
    ]);
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>预警</title><item><title>a</title><link>https://w.example/a.xml</link></item><item><link> b.xml </link></item></channel></rss>`;
    expect(feedLinks(rss, 'https://w.example/feeds/rss')).toEqual([
      'https://w.example/a.xml',
      'https://w.example/feeds/b.xml',
    ]);
  });
});
