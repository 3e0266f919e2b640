/**
 * EBD data files (EBDB_<EBDID>.xml) and signature files (EBDS_EBDB_<EBDID>.xml): typed packets to XML text and back,
 * through fast-xml-parser. Every value is read as text (EBDIDs and area codes are long digit strings). A document that
 * is not XML is a parse failure (EBDResponse 2); one that lacks or mangles a field is a content error (3), naming it.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  EBD_RESULT_CODES,
  EBD_TYPES,
  EBD_VERSION,
  SIGNATURE_ALGORITHM,
  type BrdStateCode,
  type EbdResultCode,
  type EbdType,
} from './ebd-tables';
import {
  EBD_ID_PATTERN,
  EbdFormatError,
  formatEbdTime,
  parseEbdTime,
  type EbdHeader,
  type EbdPacket,
  type EbdPayload,
  type EbdSignature,
  type Ebm,
} from './ebd-model';

// ---- XML ----

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['Auxiliary', 'EBRID', 'Entry', 'Terminal'].includes(name),
});
const builder = new XMLBuilder({ format: true, indentBy: '  ', suppressEmptyNode: false });
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

type Node = Record<string, unknown>;

function toXml(root: Node): string {
  return DECLARATION + builder.build(root);
}

function parseXml(xml: string, what: string): Node {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new EbdFormatError(
      EBD_RESULT_CODES.parseFailed,
      what,
      `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  return parser.parse(xml) as Node;
}

function child(node: unknown, name: string, path: string): Node {
  const v = (node as Node | undefined)?.[name];
  if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, `${path}.${name}`, 'missing');
  return v as Node;
}

function text(node: unknown, name: string, path: string, optional = false): string {
  const v = (node as Node | undefined)?.[name];
  if (typeof v === 'string' && v !== '') return v;
  if (optional && (v === undefined || v === '')) return '';
  throw new EbdFormatError(
    EBD_RESULT_CODES.contentInvalid,
    `${path}.${name}`,
    v === undefined || v === '' ? 'missing' : 'must be text',
  );
}

function digits(node: unknown, name: string, path: string, pattern: RegExp): string {
  const v = text(node, name, path);
  if (!pattern.test(v))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, `${path}.${name}`, `"${v}" has the wrong form`);
  return v;
}

function int(node: unknown, name: string, path: string, min: number, max: number): number {
  const v = text(node, name, path);
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max))
    throw new EbdFormatError(
      EBD_RESULT_CODES.contentInvalid,
      `${path}.${name}`,
      `"${v}" is not an integer ${min}–${max}`,
    );
  return n;
}

function list<T>(v: unknown): T[] {
  return v === undefined || v === '' ? [] : Array.isArray(v) ? (v as T[]) : [v as T];
}

const EBRID = /^\d{23}$/;

export function buildEbd(packet: EbdPacket): string {
  const h = packet.header;
  const root: Node = {
    EBDVersion: EBD_VERSION,
    EBDID: h.ebdId,
    EBDType: h.type,
    SRC: h.srcUrl ? { EBRID: [h.srcEbrId], URL: h.srcUrl } : { EBRID: [h.srcEbrId] },
    DEST: { EBRID: [h.destEbrId] },
    EBDTime: formatEbdTime(h.time),
  };
  if (h.relatedEbdId) root.RelatedEBD = { EBDID: h.relatedEbdId };
  root[packet.payload.type] = payloadNode(packet.payload);
  return toXml({ EBD: root });
}

function payloadNode(p: EbdPayload): Node {
  switch (p.type) {
    case 'EBM': {
      const e = p.ebm;
      const node: Node = { EBMVersion: EBD_VERSION, EBMID: e.ebmId };
      if (e.relatedEbmId) node.RelatedInfo = { EBMID: e.relatedEbmId };
      node.MsgBasicInfo = {
        MsgType: String(e.msgType),
        SenderName: e.senderName,
        SenderCode: e.senderCode,
        SendTime: formatEbdTime(e.sendTime),
        EventType: e.eventType,
        Severity: String(e.severity),
        StartTime: formatEbdTime(e.startTime),
        EndTime: formatEbdTime(e.endTime),
      };
      const content: Node = {
        LanguageCode: e.language,
        MsgTitle: e.title,
        MsgDesc: e.description,
        AreaCode: e.areaCodes.join(','),
      };
      if (e.auxiliary) {
        const a = e.auxiliary;
        content.Auxiliary = [
          {
            AuxiliaryType: a.type,
            AuxiliaryDesc: a.fileName,
            ...(a.size !== null ? { Size: String(a.size) } : {}),
            ...(a.digest ? { Digest: a.digest } : {}),
          },
        ];
      }
      node.MsgContent = content;
      if (e.dispatchEbrIds.length) node.Dispatch = { EBRID: e.dispatchEbrIds };
      return node;
    }
    case 'EBDResponse':
      return { ResultCode: String(p.response.resultCode), ResultDesc: p.response.resultDesc };
    case 'EBMStateResponse': {
      const s = p.state;
      return {
        RptTime: formatEbdTime(s.reportTime),
        EBM: { EBMID: s.ebmId },
        BrdStateCode: String(s.brdStateCode),
        BrdStateDesc: s.brdStateDesc,
        Coverage: {
          CoverageRate: s.coverage.rate.toFixed(4),
          ResBrdStat: `${s.coverage.played},${s.coverage.targeted}`,
          AreaCode: s.coverage.areaCodes.join(','),
        },
      };
    }
    case 'EBMBrdLog':
      return {
        RptStartTime: formatEbdTime(p.log.from),
        RptEndTime: formatEbdTime(p.log.to),
        Entry: p.log.entries.map((e) => ({
          EBMID: e.ebmId,
          MsgTitle: e.title,
          EventType: e.eventType,
          Severity: String(e.severity),
          StartTime: formatEbdTime(e.startTime),
          EndTime: formatEbdTime(e.endTime),
          BrdStateCode: String(e.brdStateCode),
          ResBrdStat: `${e.coverage.played},${e.coverage.targeted}`,
        })),
      };
    case 'OMDRequest':
      return {
        OMDType: p.request.omdType,
        ...(p.request.from
          ? {
              Params: {
                RptStartTime: formatEbdTime(p.request.from),
                RptEndTime: formatEbdTime(p.request.to ?? p.request.from),
              },
            }
          : {}),
      };
    case 'ConnectionCheck':
      return { RptTime: formatEbdTime(p.check.time) };
    case 'EBRDTState':
      return {
        RptTime: formatEbdTime(p.terminals.reportTime),
        OnlineRate: p.terminals.onlineRate.toFixed(4),
        Terminal: p.terminals.entries.map((t) => ({
          EBRID: [t.ebrId],
          Name: t.name,
          AreaCode: t.areaCode,
          StateCode: String(t.state),
        })),
      };
  }
}

export function parseEbd(xml: string): EbdPacket {
  const doc = parseXml(xml, 'EBD');
  const root = child(doc, 'EBD', 'document');
  const type = text(root, 'EBDType', 'EBD') as EbdType;
  if (!EBD_TYPES.includes(type))
    throw new EbdFormatError(
      EBD_RESULT_CODES.contentInvalid,
      'EBD.EBDType',
      `"${type}" is not one of ${EBD_TYPES.join(', ')}`,
    );
  const src = child(root, 'SRC', 'EBD');
  const srcIds = list<string>(src.EBRID);
  const destIds = list<string>(child(root, 'DEST', 'EBD').EBRID);
  if (srcIds.length !== 1 || !EBRID.test(srcIds[0]))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, 'EBD.SRC.EBRID', 'must be one 23-digit resource code');
  if (destIds.length !== 1 || !EBRID.test(destIds[0]))
    throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, 'EBD.DEST.EBRID', 'must be one 23-digit resource code');
  const related = root.RelatedEBD as Node | undefined;
  const header: EbdHeader = {
    ebdId: digits(root, 'EBDID', 'EBD', EBD_ID_PATTERN),
    type,
    srcEbrId: srcIds[0],
    srcUrl: text(src, 'URL', 'EBD.SRC', true) || null,
    destEbrId: destIds[0],
    time: parseEbdTime(text(root, 'EBDTime', 'EBD'), 'EBD.EBDTime'),
    relatedEbdId: related ? digits(related, 'EBDID', 'EBD.RelatedEBD', EBD_ID_PATTERN) : null,
  };
  return { header, payload: parsePayload(type, child(root, type, 'EBD')) };
}

function parsePayload(type: EbdType, n: Node): EbdPayload {
  const at = `EBD.${type}`;
  switch (type) {
    case 'EBM': {
      const info = child(n, 'MsgBasicInfo', at);
      const content = child(n, 'MsgContent', at);
      const rel = n.RelatedInfo as Node | undefined;
      const aux = list<Node>(content.Auxiliary)[0];
      const areaCodes = text(content, 'AreaCode', `${at}.MsgContent`)
        .split(/[,，\s]+/)
        .filter(Boolean);
      for (const code of areaCodes)
        if (!/^\d{12}$/.test(code))
          throw new EbdFormatError(
            EBD_RESULT_CODES.contentInvalid,
            `${at}.MsgContent.AreaCode`,
            `"${code}" is not a 12-digit area code`,
          );
      const ebm: Ebm = {
        ebmId: digits(n, 'EBMID', at, /^\d{35}$/),
        relatedEbmId: rel ? digits(rel, 'EBMID', `${at}.RelatedInfo`, /^\d{35}$/) : null,
        msgType: int(info, 'MsgType', `${at}.MsgBasicInfo`, 1, 2),
        senderName: text(info, 'SenderName', `${at}.MsgBasicInfo`),
        senderCode: digits(info, 'SenderCode', `${at}.MsgBasicInfo`, EBRID),
        sendTime: parseEbdTime(text(info, 'SendTime', `${at}.MsgBasicInfo`), `${at}.MsgBasicInfo.SendTime`),
        eventType: digits(info, 'EventType', `${at}.MsgBasicInfo`, /^\d{5}$|^\d{2}[A-Z]\d{2}$/),
        severity: int(info, 'Severity', `${at}.MsgBasicInfo`, 0, 4),
        startTime: parseEbdTime(text(info, 'StartTime', `${at}.MsgBasicInfo`), `${at}.MsgBasicInfo.StartTime`),
        endTime: parseEbdTime(text(info, 'EndTime', `${at}.MsgBasicInfo`), `${at}.MsgBasicInfo.EndTime`),
        language: text(content, 'LanguageCode', `${at}.MsgContent`, true) || 'zho',
        title: text(content, 'MsgTitle', `${at}.MsgContent`),
        description: text(content, 'MsgDesc', `${at}.MsgContent`, true),
        areaCodes,
        auxiliary: aux
          ? {
              type: text(aux, 'AuxiliaryType', `${at}.MsgContent.Auxiliary`),
              fileName: text(aux, 'AuxiliaryDesc', `${at}.MsgContent.Auxiliary`),
              size:
                aux.Size !== undefined
                  ? int(aux, 'Size', `${at}.MsgContent.Auxiliary`, 0, Number.MAX_SAFE_INTEGER)
                  : null,
              digest: text(aux, 'Digest', `${at}.MsgContent.Auxiliary`, true) || null,
            }
          : null,
        dispatchEbrIds: list<string>((n.Dispatch as Node | undefined)?.EBRID),
      };
      return { type, ebm };
    }
    case 'EBDResponse':
      return {
        type,
        response: {
          resultCode: int(n, 'ResultCode', at, 0, 5) as EbdResultCode,
          resultDesc: text(n, 'ResultDesc', at, true),
        },
      };
    case 'EBMStateResponse': {
      const cov = child(n, 'Coverage', at);
      const [played, targeted] = text(cov, 'ResBrdStat', `${at}.Coverage`).split(',').map(Number);
      return {
        type,
        state: {
          reportTime: parseEbdTime(text(n, 'RptTime', at), `${at}.RptTime`),
          ebmId: digits(child(n, 'EBM', at), 'EBMID', `${at}.EBM`, /^\d{35}$/),
          brdStateCode: int(n, 'BrdStateCode', at, 0, 5) as BrdStateCode,
          brdStateDesc: text(n, 'BrdStateDesc', at, true),
          coverage: {
            rate: Number(text(cov, 'CoverageRate', `${at}.Coverage`)),
            played,
            targeted,
            areaCodes: text(cov, 'AreaCode', `${at}.Coverage`, true).split(',').filter(Boolean),
          },
        },
      };
    }
    case 'EBMBrdLog':
      return {
        type,
        log: {
          from: parseEbdTime(text(n, 'RptStartTime', at), `${at}.RptStartTime`),
          to: parseEbdTime(text(n, 'RptEndTime', at), `${at}.RptEndTime`),
          entries: list<Node>(n.Entry).map((e) => {
            const [played, targeted] = text(e, 'ResBrdStat', `${at}.Entry`).split(',').map(Number);
            return {
              ebmId: text(e, 'EBMID', `${at}.Entry`),
              title: text(e, 'MsgTitle', `${at}.Entry`, true),
              eventType: text(e, 'EventType', `${at}.Entry`),
              severity: Number(text(e, 'Severity', `${at}.Entry`)),
              startTime: parseEbdTime(text(e, 'StartTime', `${at}.Entry`), `${at}.Entry.StartTime`),
              endTime: parseEbdTime(text(e, 'EndTime', `${at}.Entry`), `${at}.Entry.EndTime`),
              brdStateCode: Number(text(e, 'BrdStateCode', `${at}.Entry`)) as BrdStateCode,
              coverage: { played, targeted },
            };
          }),
        },
      };
    case 'OMDRequest': {
      const params = n.Params as Node | undefined;
      return {
        type,
        request: {
          omdType: text(n, 'OMDType', at),
          from: params ? parseEbdTime(text(params, 'RptStartTime', `${at}.Params`), `${at}.Params.RptStartTime`) : null,
          to: params ? parseEbdTime(text(params, 'RptEndTime', `${at}.Params`), `${at}.Params.RptEndTime`) : null,
        },
      };
    }
    case 'ConnectionCheck':
      return { type, check: { time: parseEbdTime(text(n, 'RptTime', at), `${at}.RptTime`) } };
    case 'EBRDTState':
      return {
        type,
        terminals: {
          reportTime: parseEbdTime(text(n, 'RptTime', at), `${at}.RptTime`),
          onlineRate: Number(text(n, 'OnlineRate', at)),
          entries: list<Node>(n.Terminal).map((t) => ({
            ebrId: list<string>(t.EBRID)[0] ?? '',
            name: text(t, 'Name', `${at}.Terminal`, true),
            areaCode: text(t, 'AreaCode', `${at}.Terminal`),
            state: Number(text(t, 'StateCode', `${at}.Terminal`)),
          })),
        },
      };
    case 'EBRDTInfo':
      throw new EbdFormatError(EBD_RESULT_CODES.contentInvalid, 'EBD.EBDType', `${type} is not taken by this platform`);
  }
}

// ---- signature file ----

export function buildSignature(s: EbdSignature): string {
  return toXml({
    Signature: {
      Version: EBD_VERSION,
      RelatedEBD: { EBDID: s.relatedEbdId },
      CertSN: s.certSn,
      SignatureAlgorithm: s.algorithm,
      SignatureValue: Buffer.from(s.value).toString('base64'),
    },
  });
}

export function parseSignature(xml: string): EbdSignature {
  const root = child(parseXml(xml, 'Signature'), 'Signature', 'document');
  const algorithm = text(root, 'SignatureAlgorithm', 'Signature');
  if (algorithm !== SIGNATURE_ALGORITHM)
    throw new EbdFormatError(
      EBD_RESULT_CODES.signatureFailed,
      'Signature.SignatureAlgorithm',
      `"${algorithm}" is not ${SIGNATURE_ALGORITHM}`,
    );
  const b64 = text(root, 'SignatureValue', 'Signature');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
    throw new EbdFormatError(EBD_RESULT_CODES.signatureFailed, 'Signature.SignatureValue', 'is not base64');
  return {
    relatedEbdId: digits(child(root, 'RelatedEBD', 'Signature'), 'EBDID', 'Signature.RelatedEBD', EBD_ID_PATTERN),
    certSn: text(root, 'CertSN', 'Signature'),
    algorithm,
    value: Buffer.from(b64, 'base64'),
  };
}
