/**
 * The command sequence shared by the instances of a cluster (docs/cluster.md, "Signed commands across owners").
 * A terminal accepts a signed command only if its sequence is greater than the last one it accepted (terminal-modbus
 * PROTOCOL.md §5.2), whichever instance sent it. Instances take numbers in blocks from one row: each reservation moves
 * `reservedUpTo` on by compare-and-set, so blocks never overlap and every block starts above every block reserved
 * before it, by any instance. The row also names the certificate the cluster signs with: an instance holding another
 * key is refused (its commands would be refused by every terminal, or, worse, counted on another key's sequence).
 */
import type { DataSource } from 'typeorm';
import { DomainError } from '../common/errors';
import { affected, isDuplicateKey } from './lease-store';

/** The sequence is a u32 on the wire. */
export const MAX_COMMAND_SEQUENCE = 0xffff_ffff;
const ROW = 'command';
/** Compare-and-set attempts before giving up (each lost race means another instance reserved in between). */
const ATTEMPTS = 20;

export interface SequenceBlock {
  /** First number of the block. */
  first: number;
  /** Last number of the block (inclusive). */
  last: number;
}

/** This instance's signing certificate is not the one the cluster signs with. */
export class SigningCertificateMismatchError extends DomainError {
  constructor(mine: string, cluster: string) {
    super(
      'signing_certificate_mismatch',
      `this instance signs commands with certificate ${mine}, but the cluster signs with certificate ${cluster}: ` +
        'every instance must hold the same <data dir>/keys/command-signing.json (copy it from an instance of the cluster)',
      409,
      { mine, cluster },
    );
  }
}

interface SequenceRow {
  certificateSerial: string;
  reservedUpTo: string | number;
}

export class SequenceStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reserves `size` numbers above every number reserved in the cluster so far and above `floor` (the last number
   * this instance's data folder handed out when it ran alone), for the certificate `serial`.
   */
  async reserve(serial: string, floor: number, size: number): Promise<SequenceBlock> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = await this.read();
      if (row === null) {
        const block = blockAfter(floor, size);
        if (await this.insert(serial, block.last)) return block;
        continue;
      }
      if (row.certificateSerial !== serial) throw new SigningCertificateMismatchError(serial, row.certificateSerial);
      const seen = Number(row.reservedUpTo);
      const block = blockAfter(Math.max(seen, floor), size);
      if (await this.move(seen, block.last)) return block;
    }
    throw new Error(`command sequence: no block reserved after ${ATTEMPTS} attempts (too many instances racing)`);
  }

  /** The end of the last block reserved, and the cluster's certificate; null before the first reservation. */
  async read(): Promise<SequenceRow | null> {
    const rows = await this.dataSource.query<SequenceRow[]>(
      'SELECT certificateSerial, reservedUpTo FROM cluster_sequence WHERE name = ?',
      [ROW],
    );
    return rows[0] ?? null;
  }

  private async insert(serial: string, last: number): Promise<boolean> {
    try {
      await this.run('INSERT INTO cluster_sequence (name, certificateSerial, reservedUpTo) VALUES (?, ?, ?)', [
        ROW,
        serial,
        last,
      ]);
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  private async move(from: number, to: number): Promise<boolean> {
    const n = await this.run('UPDATE cluster_sequence SET reservedUpTo = ? WHERE name = ? AND reservedUpTo = ?', [
      to,
      ROW,
      from,
    ]);
    return n === 1;
  }

  private async run(sql: string, params: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await affected(runner, sql, params);
    } finally {
      await runner.release();
    }
  }
}

function blockAfter(after: number, size: number): SequenceBlock {
  if (after >= MAX_COMMAND_SEQUENCE)
    throw new Error(`command sequence exhausted (${MAX_COMMAND_SEQUENCE}): the signing certificate must be renewed`);
  return { first: after + 1, last: Math.min(after + size, MAX_COMMAND_SEQUENCE) };
}
