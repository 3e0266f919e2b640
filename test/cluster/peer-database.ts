/**
 * Another instance's view of a test server's database for the cluster suites: the same DATABASE_URL, a data folder of
 * its own holding the cluster's command-signing key (every instance of a cluster signs with the same certificate,
 * docs/cluster.md "Signed commands across owners"). The folder is removed by `remove()`, the database left to its owner.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CommandSigning } from '../../src/field/command-signing';
import type { TestDatabase } from '../support/databases';

export interface PeerDatabase {
  db: TestDatabase;
  remove(): void;
}

export function peerDatabase(of: TestDatabase): PeerDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'dalaba-test-'));
  const key = CommandSigning.file(dir);
  mkdirSync(dirname(key), { recursive: true });
  copyFileSync(CommandSigning.file(of.dataDir), key);
  return {
    db: { ...of, dataDir: dir, drop: () => Promise.resolve() },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
