/**
 * Why a simulated terminal refuses a command (TerminalModel, in the order of terminal-modbus PROTOCOL.md §5.4), and
 * its counters of refusals by kind: signature verdicts, replays and outranked commands apart, everything else as other.
 */

export type SignatureVerdict = 'ok' | 'unsigned' | 'forged' | 'unknown-certificate';
export type Refusal =
  SignatureVerdict | 'replayed' | 'outranked' | 'no-such-clip' | 'storage-refused' | 'bad-parameter';

export interface RefusalCounters {
  unsigned: number;
  forged: number;
  unknownCertificate: number;
  replayed: number;
  outranked: number;
  other: number;
}

export function noRefusals(): RefusalCounters {
  return { unsigned: 0, forged: 0, unknownCertificate: 0, replayed: 0, outranked: 0, other: 0 };
}

/** Counts `r` under its kind; returns it, so a refusal can be counted where it is returned. */
export function countRefusal(counters: RefusalCounters, r: Refusal): Refusal {
  switch (r) {
    case 'ok':
      break;
    case 'unsigned':
      counters.unsigned += 1;
      break;
    case 'forged':
      counters.forged += 1;
      break;
    case 'unknown-certificate':
      counters.unknownCertificate += 1;
      break;
    case 'replayed':
      counters.replayed += 1;
      break;
    case 'outranked':
      counters.outranked += 1;
      break;
    case 'no-such-clip':
    case 'storage-refused':
    case 'bad-parameter':
      counters.other += 1;
      break;
  }
  return r;
}

export function refusalTotal(r: RefusalCounters): number {
  return r.unsigned + r.forged + r.unknownCertificate + r.replayed + r.outranked + r.other;
}
