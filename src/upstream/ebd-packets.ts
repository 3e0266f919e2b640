/**
 * Sealing and opening EBD packets: the data file signed (SM2-SM3 over its exact bytes, default user id), the signature
 * file beside it, resources after, all in EBDT_<EBDID>.tar. Opening verifies the signature against the key the
 * certificate serial names before the data is read at all. The server and the upstream simulator both use these.
 */
import {
  buildEbd,
  buildSignature,
  EBD_RESULT_CODES,
  EbdFormatError,
  parseEbd,
  parseSignature,
  SIGNATURE_ALGORITHM,
  TAR_NAMES,
  TAR_PATTERNS,
  type EbdPacket,
  type EbdResultCode,
} from '../../firmware-protocols/ebd';
import { verify } from '../../firmware-protocols/signing';
import { ArchiveError, packArchive, unpackArchive, type ArchiveFile } from './ebd-archive';

export interface PacketSigner {
  certSn: string;
  sign(data: Uint8Array): Uint8Array;
}

export interface SealedPacket {
  ebdId: string;
  fileName: string;
  tar: Buffer;
  xml: string;
}

export async function sealPacket(
  packet: EbdPacket,
  signer: PacketSigner,
  resources: readonly ArchiveFile[] = [],
): Promise<SealedPacket> {
  const ebdId = packet.header.ebdId;
  const xml = buildEbd(packet);
  const body = Buffer.from(xml, 'utf8');
  const signature = buildSignature({
    relatedEbdId: ebdId,
    certSn: signer.certSn,
    algorithm: SIGNATURE_ALGORITHM,
    value: signer.sign(body),
  });
  const tar = await packArchive(
    [
      { name: TAR_NAMES.data(ebdId), body },
      { name: TAR_NAMES.signature(ebdId), body: Buffer.from(signature, 'utf8') },
      ...resources,
    ],
    packet.header.time,
  );
  return { ebdId, fileName: TAR_NAMES.tar(ebdId), tar, xml };
}

export type Opened =
  | { ok: true; packet: EbdPacket; certSn: string; resources: ArchiveFile[] }
  /** stage: how far it got — `archive`, `signature` (verification failed or the key is unknown), `data`. */
  | {
      ok: false;
      stage: 'archive' | 'signature' | 'data';
      resultCode: EbdResultCode;
      detail: string;
      certSn: string | null;
      ebdId: string | null;
    };

type Failed = Extract<Opened, { ok: false }>;

function fail(
  stage: Failed['stage'],
  resultCode: EbdResultCode,
  detail: string,
  certSn: string | null = null,
  ebdId: string | null = null,
): Failed {
  return {
    ok: false,
    stage,
    resultCode,
    detail,
    certSn,
    ebdId,
  };
}

/**
 * Opens a tar: finds EBDB_/EBDS_EBDB_ of one EBDID, verifies the signature with `keyOf(certSn)` (null: unknown
 * certificate, a signature failure), and only then parses the data. Never throws for bad input.
 */
export async function openPacket(
  tar: Buffer,
  keyOf: (certSn: string) => Promise<string | null> | string | null,
): Promise<Opened> {
  const unpacked = await unpack(tar);
  if (!unpacked.ok) return unpacked;
  const located = locate(unpacked.files);
  if (!located.ok) return located;
  const { data, sigFile, ebdId } = located;
  const signed = await verifySignature(data, sigFile, ebdId, keyOf);
  if (!signed.ok) return signed;
  return readData(data, unpacked.files, ebdId, signed.certSn);
}

/** The files of the tar, or an `archive` failure when it cannot be read. */
async function unpack(tar: Buffer): Promise<{ ok: true; files: ArchiveFile[] } | Failed> {
  try {
    return { ok: true, files: await unpackArchive(tar) };
  } catch (e) {
    return fail(
      'archive',
      EBD_RESULT_CODES.parseFailed,
      e instanceof ArchiveError ? e.message : `not a readable tar archive: ${(e as Error).message}`,
    );
  }
}

/** The one data file, its EBDID and the signature file of that EBDID. */
function locate(files: ArchiveFile[]): { ok: true; data: ArchiveFile; sigFile: ArchiveFile; ebdId: string } | Failed {
  const data = files.filter((f) => TAR_PATTERNS.data.test(f.name));
  if (data.length !== 1)
    return fail(
      'archive',
      EBD_RESULT_CODES.contentInvalid,
      `the archive must hold exactly one EBDB_<EBDID>.xml; it holds ${data.length}`,
    );
  const ebdId = TAR_PATTERNS.data.exec(data[0].name)?.[1] ?? '';
  const sigFile = files.find((f) => f.name === TAR_NAMES.signature(ebdId));
  if (!sigFile)
    return fail(
      'signature',
      EBD_RESULT_CODES.signatureFailed,
      `the archive has no signature file ${TAR_NAMES.signature(ebdId)}`,
      null,
      ebdId,
    );
  return { ok: true, data: data[0], sigFile, ebdId };
}

/** Checks the signature file names this EBD and verifies the data under the key of its certificate. */
async function verifySignature(
  data: ArchiveFile,
  sigFile: ArchiveFile,
  ebdId: string,
  keyOf: (certSn: string) => Promise<string | null> | string | null,
): Promise<{ ok: true; certSn: string | null } | Failed> {
  let certSn: string | null = null;
  try {
    const sig = parseSignature(sigFile.body.toString('utf8'));
    certSn = sig.certSn;
    if (sig.relatedEbdId !== ebdId)
      return fail(
        'signature',
        EBD_RESULT_CODES.signatureFailed,
        `the signature names EBD ${sig.relatedEbdId}, not ${ebdId}`,
        certSn,
        ebdId,
      );
    const key = await keyOf(sig.certSn);
    if (!key)
      return fail(
        'signature',
        EBD_RESULT_CODES.signatureFailed,
        `no enabled sender is registered with certificate ${sig.certSn}`,
        certSn,
        ebdId,
      );
    if (!verify(data.body, sig.value, key))
      return fail(
        'signature',
        EBD_RESULT_CODES.signatureFailed,
        `the SM2-SM3 signature does not verify under certificate ${sig.certSn}`,
        certSn,
        ebdId,
      );
  } catch (e) {
    return fail(
      'signature',
      EBD_RESULT_CODES.signatureFailed,
      e instanceof EbdFormatError ? e.message : `signature file unreadable: ${(e as Error).message}`,
      certSn,
      ebdId,
    );
  }
  return { ok: true, certSn };
}

/** Parses the (verified) data file and collects the resources beside it. */
function readData(data: ArchiveFile, files: ArchiveFile[], ebdId: string, certSn: string | null): Opened {
  try {
    const packet = parseEbd(data.body.toString('utf8'));
    if (packet.header.ebdId !== ebdId)
      return fail(
        'data',
        EBD_RESULT_CODES.contentInvalid,
        `EBDID ${packet.header.ebdId} differs from the file name's ${ebdId}`,
        certSn,
        ebdId,
      );
    const resources = files.filter((f) => TAR_PATTERNS.resource.test(f.name));
    return { ok: true, packet, certSn: certSn ?? '', resources };
  } catch (e) {
    if (e instanceof EbdFormatError) return fail('data', e.resultCode, e.message, certSn, ebdId);
    return fail('data', EBD_RESULT_CODES.parseFailed, (e as Error).message, certSn, ebdId);
  }
}
