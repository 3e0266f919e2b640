import { isResourceCode } from '../codes';
import { verify } from '../signing';
import vectors from './vectors/ebd.json';
import {
  buildEbd,
  composeEbdId,
  EbdFormatError,
  formatEbdTime,
  parseEbd,
  parseEbdTime,
  parseSignature,
  buildSignature,
  EBD_ID_PATTERN,
} from '.';

describe('EBD data files', () => {
  it.each(vectors.packets.map((p) => [p.name, p.xml]))(
    '%s: parses and builds back to the very same bytes',
    (_name, xml) => {
      expect(buildEbd(parseEbd(xml))).toBe(xml);
    },
  );

  it('reads the EBM of the vector as sent', () => {
    const p = parseEbd(vectors.packets[0].xml);
    expect(p.header).toMatchObject({
      type: 'EBM',
      srcEbrId: '23400000000000101010101',
      destEbrId: '43415230000000101010101',
      srcUrl: 'http://10.0.0.1:8080/ebd',
    });
    expect(p.header.time.toISOString()).toBe('2026-12-06T12:00:00.000Z');
    if (p.payload.type !== 'EBM') throw new Error('not an EBM');
    expect(p.payload.ebm).toMatchObject({
      msgType: 1,
      severity: 1,
      eventType: '11B03',
      areaCodes: ['341523000000', '341524000000'],
      auxiliary: { type: '2', size: 1024 },
    });
    expect(isResourceCode(p.header.srcEbrId)).toBe(true);
  });

  it('composes EBDIDs as "10" + EBRID + Beijing date + 8-digit sequence', () => {
    for (const v of vectors.ebdIds) {
      expect(composeEbdId(v.ebrId, new Date(v.at), v.sequence)).toBe(v.ebdId);
      expect(v.ebdId).toMatch(EBD_ID_PATTERN);
    }
    expect(() => composeEbdId('123', new Date(), 1)).toThrow(EbdFormatError);
    expect(() => composeEbdId(vectors.ebdIds[0].ebrId, new Date(), 100_000_000)).toThrow(EbdFormatError);
  });

  it('writes and reads times in Beijing time', () => {
    expect(formatEbdTime(new Date('2026-12-31T16:00:00.900Z'))).toBe('2027-01-01 00:00:00');
    expect(parseEbdTime('2027-01-01 00:00:00', 't').toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(() => parseEbdTime('2027-01-01T00:00:00Z', 't')).toThrow(EbdFormatError);
  });

  it('tells a document that is not XML (2) from one that lacks a field (3), naming it', () => {
    const bad = (xml: string): EbdFormatError => {
      try {
        parseEbd(xml);
      } catch (e) {
        return e as EbdFormatError;
      }
      throw new Error('parsed');
    };
    expect(bad('<EBD><EBDID>1</EBD>')).toMatchObject({ resultCode: 2 });
    expect(bad(vectors.packets[0].xml.replace(/<MsgTitle>.*<\/MsgTitle>/, ''))).toMatchObject({
      resultCode: 3,
      field: 'EBD.EBM.MsgContent.MsgTitle',
    });
    expect(bad(vectors.packets[0].xml.replace('341524000000', '3415'))).toMatchObject({
      resultCode: 3,
      field: 'EBD.EBM.MsgContent.AreaCode',
    });
    expect(bad(vectors.packets[0].xml.replace('<EBDType>EBM</EBDType>', '<EBDType>Nonsense</EBDType>'))).toMatchObject({
      resultCode: 3,
      field: 'EBD.EBDType',
    });
  });
});

describe('EBD signature files', () => {
  it('builds the vector signature file exactly and its value verifies over the data file bytes', () => {
    const s = parseSignature(vectors.signature.xml);
    expect(buildSignature(s)).toBe(vectors.signature.xml);
    expect(s).toMatchObject({
      certSn: vectors.signature.certSn,
      algorithm: 'SM2-SM3',
      relatedEbdId: vectors.ebdIds[0].ebdId,
    });
    const data = Buffer.from(vectors.packets[vectors.signature.dataXmlIndex].xml, 'utf8');
    expect(verify(data, s.value, vectors.publicKey)).toBe(true);
    expect(verify(Buffer.concat([data, Buffer.from(' ')]), s.value, vectors.publicKey)).toBe(false);
  });

  it('refuses another algorithm and a value that is not base64 as a signature failure (4)', () => {
    expect(() => parseSignature(vectors.signature.xml.replace('SM2-SM3', 'RSA-SHA256'))).toThrow(
      expect.objectContaining({ resultCode: 4 }),
    );
    expect(() =>
      parseSignature(
        vectors.signature.xml.replace(/<SignatureValue>.*<\/SignatureValue>/, '<SignatureValue>!!</SignatureValue>'),
      ),
    ).toThrow(expect.objectContaining({ resultCode: 4 }));
  });
});

describe('hostile XML', () => {
  const laughs = (root: string, inner: string): string => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const decl = levels
      .map((l, i) =>
        i === 0 ? `<!ENTITY a "${'a'.repeat(64)}">` : `<!ENTITY ${l} "${`&${levels[i - 1]};`.repeat(16)}">`,
      )
      .join('');
    return `<?xml version="1.0"?><!DOCTYPE ${root} [${decl}]>${inner}`;
  };

  it('does not expand nested entities (a billion laughs) in a signature file or a data file', () => {
    const sig = laughs(
      'Signature',
      '<Signature><Version>1.0</Version><RelatedEBD><EBDID>1</EBDID></RelatedEBD><CertSN>&g;</CertSN><SignatureAlgorithm>SM2-SM3</SignatureAlgorithm><SignatureValue>AA==</SignatureValue></Signature>',
    );
    let certSn = '';
    try {
      certSn = parseSignature(sig).certSn;
    } catch (e) {
      expect(e).toBeInstanceOf(EbdFormatError);
    }
    expect(certSn.length).toBeLessThan(100_000);
    const data = laughs(
      'EBD',
      vectors.packets[0].xml
        .replace(/^<\?xml[^>]*\?>\n/, '')
        .replace('<MsgTitle>暴雨红色预警</MsgTitle>', '<MsgTitle>&g;</MsgTitle>'),
    );
    let title = '';
    try {
      const p = parseEbd(data);
      title = p.payload.type === 'EBM' ? p.payload.ebm.title : '';
    } catch (e) {
      expect(e).toBeInstanceOf(EbdFormatError);
    }
    expect(title.length).toBeLessThan(100_000);
  });
});
