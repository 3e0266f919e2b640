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

/**
 * Opens a tar: finds EBDB_/EBDS_EBDB_ of one EBDID, verifies the signature with `keyOf(certSn)` (null: unknown
 * certificate, a signature failure), and only then parses the data. Never throws for bad input.
 */
export async function openPacket(
  tar: Buffer,
  keyOf: (certSn: string) => Promise<string | null> | string | null,
): Promise<Opened> {
  const fail = (
    stage: 'archive' | 'signature' | 'data',
    resultCode: EbdResultCode,
    detail: string,
    certSn: string | null = null,
    ebdId: string | null = null,
  ): Opened => ({
    ok: false,
    stage,
    resultCode,
    detail,
    certSn,
    ebdId,
  });
  let files: ArchiveFile[];
  try {
    files = await unpackArchive(tar);
  } catch (e) {
    return fail(
      'archive',
      EBD_RESULT_CODES.parseFailed,
      e instanceof ArchiveError ? e.message : `not a readable tar archive: ${(e as Error).message}`,
    );
  }
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
    if (!verify(data[0].body, sig.value, key))
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
  try {
    const packet = parseEbd(data[0].body.toString('utf8'));
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
