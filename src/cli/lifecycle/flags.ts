import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { saveKeyPair } from '../../client/key-file.js';
import { generateKeyPair, jwkThumbprint, type Ed25519KeyPair } from '../../client/keys.js';
import type { ClientEnv } from '../../config.js';
import { UsageError } from '../command.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90", "90s", "15m", "24h", "7d" as seconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) throw new UsageError(`${flag} must be a duration such as 0, 90s, 15m, 24h or 7d, not "${text}".`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

/** An ISO 8601 time, or a duration meaning "that long ago" (--since 1h). */
export function parseSince(text: string, flag: string, nowMs: number): string {
  if (/^\d+[smhd]?$/.test(text.trim())) return new Date(nowMs - parseDuration(text, flag) * 1000).toISOString();
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} must be a time such as 2026-01-01T00:00:00Z or a duration such as 1h, not "${text}".`);
  return new Date(ms).toISOString();
}

export function parseScopes(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `--metadata k=v` flags (repeatable) as an object; numbers and true/false keep their type. */
export function parseMetadata(values: unknown): Record<string, string | number | boolean> | undefined {
  const list = (values as string[] | undefined) ?? [];
  if (list.length === 0) return undefined;
  const metadata: Record<string, string | number | boolean> = {};
  for (const raw of list) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata must look like key=value, not "${raw}".`);
    const text = raw.slice(eq + 1);
    metadata[raw.slice(0, eq)] = text === 'true' ? true : text === 'false' ? false : /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return metadata;
}

/**
 * Generates a key pair and saves the private key (mode 0600) before anything is uploaded, so a
 * key the server accepts is never lost. Default place: keys/ beside the profile file.
 */
export async function newLocalKey(env: Pick<ClientEnv, 'configFile'>, name: string, out: unknown): Promise<{ pair: Ed25519KeyPair; file: string }> {
  const pair = await generateKeyPair();
  const file = typeof out === 'string' && out !== '' ? out : join(dirname(env.configFile), 'keys', `${name}-${(await jwkThumbprint(pair.publicKey)).slice(0, 12)}.pem`);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await saveKeyPair(pair, file);
  return { pair, file };
}

export const JSON_HELP = '  --json            print the API response as JSON';
