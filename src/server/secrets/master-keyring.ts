import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, type Config } from '../../config.js';
import { formatKeyEntry, parseKeyring, type MasterKey } from '../../keyring-text.js';

/** The two log levels the keyring uses (pino's logger has them). */
export interface KeyringLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Where the master keys come from (docs/modes.md). */
export type KeyringSource =
  | { kind: 'env' }
  | { kind: 'file'; path: string; development: boolean }
  /** An in-memory database: a key for this process only, as throwaway as the data it protects. */
  | { kind: 'ephemeral' };

/** The development key file's place: beside the database. */
export function developmentKeyFile(db: string): string {
  return join(dirname(db), 'master.key');
}

export function keyringSource(config: Pick<Config, 'masterKey' | 'masterKeyFile' | 'db'>): KeyringSource {
  if (config.masterKey !== undefined) return { kind: 'env' };
  if (config.masterKeyFile !== undefined) return { kind: 'file', path: config.masterKeyFile, development: false };
  if (config.db === ':memory:') return { kind: 'ephemeral' };
  return { kind: 'file', path: developmentKeyFile(config.db), development: true };
}

const FILE_HEADER = `# Signet master keys (docs/modes.md): VERSION:KEY, one a line. The highest version encrypts new
# HMAC secrets; every version listed decrypts. Keep this file secret (mode 0600), and never store
# it with the database or its backups: the two together expose every HMAC secret.
`;

/** Writes a keyring file atomically (temporary file, then rename), mode 0600. */
export function writeKeyFile(path: string, keys: readonly MasterKey[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, FILE_HEADER + keys.map(formatKeyEntry).join('\n') + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * Creates a keyring file only if none exists, atomically: the complete file is linked into place,
 * so of several processes starting at once (workers) exactly one creates it and all read the same
 * keys. False when another process was first.
 */
export function createKeyFile(path: string, keys: readonly MasterKey[]): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, FILE_HEADER + keys.map(formatKeyEntry).join('\n') + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

export function newMasterKey(version: number): MasterKey {
  return { version, key: new Uint8Array(randomBytes(32)) };
}

function readKeyFile(path: string): MasterKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`SIGNET_MASTER_KEY_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    return parseKeyring(text, `master key file ${path}`);
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
}

function fileStamp(path: string): string {
  try {
    const info = statSync(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * The master keys of this process. A file keyring is re-read when a secret names a version it
 * lacks and, before encrypting, when the file changed: `signet admin rotate-master-key` adds a
 * version to the file and re-encrypts while the server keeps serving.
 */
export class MasterKeyring {
  private keys: MasterKey[];
  private stamp: string;

  constructor(
    keys: readonly MasterKey[],
    private readonly file?: string,
  ) {
    if (keys.length === 0) throw new ConfigError(['the master keyring is empty']);
    this.keys = [...keys].sort((a, b) => a.version - b.version);
    this.stamp = file === undefined ? '' : fileStamp(file);
  }

  /** The key that encrypts: the highest version (after picking up a changed key file). */
  current(): MasterKey {
    if (this.file !== undefined && fileStamp(this.file) !== this.stamp) this.reload();
    return this.keys[this.keys.length - 1]!;
  }

  get(version: number): MasterKey | undefined {
    const found = this.keys.find((k) => k.version === version);
    if (found !== undefined || this.file === undefined) return found;
    this.reload();
    return this.keys.find((k) => k.version === version);
  }

  versions(): number[] {
    return this.keys.map((k) => k.version);
  }

  private reload(): void {
    // A file that became unreadable keeps the keys already known: refusing to decrypt helps nobody.
    try {
      this.stamp = fileStamp(this.file!);
      this.keys = readKeyFile(this.file!);
    } catch {
      // keep the previous keys
    }
  }
}

/**
 * Builds the keyring from the configuration. A configured key file that does not exist yet is
 * created; without any configuration the development file beside the database is used (created
 * on first start) and a loud warning is logged, since whoever copies that directory gets the
 * database and its master key together.
 */
export function loadMasterKeyring(config: Pick<Config, 'masterKey' | 'masterKeyFile' | 'db'>, logger: KeyringLog): MasterKeyring {
  const source = keyringSource(config);
  if (source.kind === 'env') return new MasterKeyring(parseKeyring(config.masterKey!, 'SIGNET_MASTER_KEY'));
  if (source.kind === 'ephemeral') return new MasterKeyring([newMasterKey(1)]);
  if (fileStamp(source.path) === 'missing' && createKeyFile(source.path, [newMasterKey(1)])) {
    logger.info({ file: source.path }, 'created a master key file (mode 0600) for HMAC secrets');
  }
  if (source.development) {
    logger.warn(
      { file: source.path },
      'WARNING: neither SIGNET_MASTER_KEY nor SIGNET_MASTER_KEY_FILE is set, so HMAC secrets are encrypted with the DEVELOPMENT master key file beside the database. Anyone who copies that directory can decrypt every HMAC secret. Set SIGNET_MASTER_KEY or SIGNET_MASTER_KEY_FILE in production (docs/modes.md).',
    );
  }
  const mode = statSync(source.path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    logger.warn({ file: source.path, mode: mode.toString(8) }, `WARNING: the master key file is readable by group or others; run: chmod 600 ${source.path}`);
  }
  return new MasterKeyring(readKeyFile(source.path), source.path);
}
