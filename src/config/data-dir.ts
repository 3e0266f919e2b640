/**
 * Prepares the data folder at boot: creates it, and generates the JWT key once into <dataDir>/keys/jwt-secret
 * (mode 0600) when DALABA_JWT_SECRET is not set, so tokens survive restarts without anyone choosing a key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from './config';
import { ConfigError, Secret } from './env-values';

export function keysDir(config: AppConfig): string {
  return join(config.dataDir, 'keys');
}

/** Reads a secret kept in the keys folder, creating it with `make` the first time. */
export function persistentSecret(config: AppConfig, name: string, make: () => string): Secret {
  const file = join(keysDir(config), name);
  if (existsSync(file)) return new Secret(readFileSync(file, 'utf8').trim());
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  return new Secret(value);
}

/**
 * The SQLite file is created (or narrowed) to mode 0600 before the driver opens it: SQLite gives its -wal and -shm
 * files the database file's mode, so none of them is readable by other users of the machine.
 */
function ownerOnly(file: string): void {
  if (file === ':memory:') return;
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** Returns the config with the data folder present and the JWT key resolved. */
export function prepareDataDir(config: AppConfig): AppConfig & { jwtSecret: Secret } {
  try {
    mkdirSync(config.dataDir, { recursive: true });
    if (config.database.kind === 'sqlite' && config.database.sqlitePath) {
      mkdirSync(dirname(config.database.sqlitePath), { recursive: true });
      ownerOnly(config.database.sqlitePath);
    }
  } catch (e) {
    throw new ConfigError('DALABA_DATA_DIR', `cannot create ${config.dataDir}: ${(e as Error).message}`);
  }
  const jwtSecret =
    config.jwtSecret ?? persistentSecret(config, 'jwt-secret', () => randomBytes(48).toString('base64url'));
  return { ...config, jwtSecret };
}
