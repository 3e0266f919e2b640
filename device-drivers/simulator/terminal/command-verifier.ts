/**
 * Signature checks of command blocks (terminal-modbus PROTOCOL.md §4, §5.1) for simulated terminals: bytes 0–73 signed
 * SM2 with SM3 and the default user id (firmware-protocols/signing), the certificate serial (6 BCD bytes at 68–73) looked up among the trusted
 * certificates. docs/domain.md ("Signatures") allows the simulator to verify an identical signed block once and reuse the verdict for every
 * terminal that receives it; the terminal's own verification time is modelled separately (`verifyMs`).
 * The cache is capped and forgets its oldest verdicts first.
 */
import { verify } from '../../../firmware-protocols/signing';
import { COMMAND_LAYOUT } from '../../../firmware-protocols/terminal-modbus/registers';
import type { SignatureVerdict } from './refusal-counters';

export interface TrustedCertificate {
  /** 12 BCD digits. */
  serial: string;
  /** Uncompressed SM2 public key, hex (04‖x‖y). */
  publicKeyHex: string;
}

export class CommandVerifier {
  private readonly trusted = new Map<string, string>();
  private readonly cache = new Map<string, SignatureVerdict>();
  /** Verifications actually computed (the rest came from the cache). */
  computed = 0;

  constructor(
    certificates: readonly TrustedCertificate[],
    /** A terminal's time to verify one block (ms), added to its turnaround for signed commands. */
    readonly verifyMs = 6,
    private readonly maxCached = 1024,
  ) {
    for (const c of certificates) this.trust(c);
  }

  trust(c: TrustedCertificate): void {
    this.trusted.set(c.serial, c.publicKeyHex);
  }

  verify(block: Uint8Array): SignatureVerdict {
    const b = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    if (b.length !== COMMAND_LAYOUT.bytes) return 'unsigned';
    const key = b.toString('hex');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const verdict = this.compute(b);
    this.cache.set(key, verdict);
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
    return verdict;
  }

  private compute(b: Buffer): SignatureVerdict {
    const signature = b.subarray(COMMAND_LAYOUT.signatureOffset, COMMAND_LAYOUT.signatureOffset + 64);
    if (signature.every((x) => x === 0)) return 'unsigned';
    const serial = b.subarray(COMMAND_LAYOUT.certSerialOffset, COMMAND_LAYOUT.signatureOffset).toString('hex');
    const publicKey = this.trusted.get(serial);
    if (!publicKey) return 'unknown-certificate';
    this.computed += 1;
    const signed = b.subarray(0, COMMAND_LAYOUT.signedLength);
    let ok = false;
    try {
      ok = verify(signed, signature, publicKey);
    } catch {
      ok = false;
    }
    return ok ? 'ok' : 'forged';
  }
}
