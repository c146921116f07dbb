/**
 * The text form of a master keyring, shared by SIGNET_MASTER_KEY and key files (docs/modes.md):
 * entries separated by commas or newlines, each `VERSION:KEY` or a bare `KEY` (version 1), where
 * KEY is 32 bytes in base64 or base64url, with or without padding. Blank lines and lines starting
 * with `#` are ignored. The highest version encrypts; every version listed decrypts.
 */
export interface MasterKey {
  /** A positive integer; recorded with every secret it encrypts. */
  version: number;
  /** 32 bytes (AES-256). */
  key: Uint8Array;
}

const ENTRY = /^(?:(\d{1,9}):)?([A-Za-z0-9+/_-]+={0,2})$/;

function decodeKey(text: string): Uint8Array | undefined {
  const normal = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Buffer.from(normal, 'base64');
  // Buffer's decoder skips what it does not understand: insist on an exact round trip.
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== normal) return undefined;
  return new Uint8Array(bytes);
}

/** Parses a keyring; a problem is an Error whose message is a sentence naming `source`. */
export function parseKeyring(text: string, source: string): MasterKey[] {
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error(`${source}: no master key in it.`);
  const keys: MasterKey[] = [];
  for (const entry of entries) {
    const match = ENTRY.exec(entry);
    const key = match === null ? undefined : decodeKey(match[2]!);
    if (match === null || key === undefined) {
      throw new Error(`${source}: each master key must be 32 bytes in base64 or base64url, optionally prefixed by its version ("2:..."); one entry is not.`);
    }
    if (match[1] === undefined && entries.length > 1) throw new Error(`${source}: with several master keys, give each its version ("1:...,2:...").`);
    const version = match[1] === undefined ? 1 : Number(match[1]);
    if (version < 1) throw new Error(`${source}: master key versions start at 1.`);
    if (keys.some((k) => k.version === version)) throw new Error(`${source}: master key version ${version} appears twice.`);
    keys.push({ version, key });
  }
  return keys.sort((a, b) => a.version - b.version);
}

export function formatKeyEntry(key: MasterKey): string {
  return `${key.version}:${Buffer.from(key.key).toString('base64url')}`;
}
