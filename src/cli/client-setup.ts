import { readFile } from 'node:fs/promises';
import { parseTtl } from '../client/duration.js';
import { loadHmacSecretFile, loadSigningKeyFile } from '../client/key-file.js';
import { loadClientEnv, type ClientEnv } from '../config.js';
import { SignetError } from '../protocol/errors.js';
import type { SigningKey } from '../client/signing-key.js';
import { UsageError, type Command } from './command.js';
import { scopeHint } from './explain.js';
import { readProfileFile, resolveProfile, type ResolvedProfile } from './profiles.js';

/** Flags every consumer-side command shares: which profile, server, key id and key file. */
export const CLIENT_OPTIONS = {
  profile: { type: 'string' },
  server: { type: 'string' },
  key: { type: 'string' },
  kid: { type: 'string' },
  'secret-file': { type: 'string' },
} as const satisfies Command['options'];

export const CLIENT_OPTIONS_HELP = `  --profile NAME    profile from the config file (SIGNET_PROFILE, default: the file's default)
  --server URL      API origin for PATH arguments (SIGNET_SERVER, or the profile's)
  --key FILE        private key file: PEM, JWK or OpenSSH, mode 0600, or a file holding an HMAC
                    secret (SIGNET_KEY_FILE, or the profile's)
  --secret-file F   an HMAC secret file (sgnt_hs_..., mode 0600), instead of --key
  --kid KID         the key id the server issued (SIGNET_KID, or the profile's)`;

export interface ClientSetup {
  env: Readonly<ClientEnv>;
  profile: ResolvedProfile;
  kid: string;
  /** An Ed25519 private key, or an HMAC secret checked offline (format and checksum). */
  key: SigningKey;
}

const flag = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Resolves flags, SIGNET_* variables and the profile, then loads the private key. */
export async function clientSetup(values: Record<string, unknown>, env: Readonly<ClientEnv> = loadClientEnv()): Promise<ClientSetup> {
  const profile = await resolveProfile(env, {
    ...(flag(values.profile) !== undefined ? { profile: flag(values.profile) } : {}),
    ...(flag(values.server) !== undefined ? { server: flag(values.server) } : {}),
    ...(flag(values.kid) !== undefined ? { kid: flag(values.kid) } : {}),
    ...(flag(values.key) !== undefined ? { keyFile: flag(values.key) } : {}),
  });
  const secretFile = flag(values['secret-file']);
  if (secretFile !== undefined && flag(values.key) !== undefined) throw new UsageError('Pass --key FILE or --secret-file FILE, not both.');
  const where = profile.name === undefined ? 'and no profile is set up' : `and the profile "${profile.name}" has none`;
  if (profile.keyFile === undefined && secretFile === undefined) throw new UsageError(`No private key: pass --key FILE or set SIGNET_KEY_FILE (${where}); for an HMAC key, --secret-file FILE.`);
  if (profile.kid === undefined) throw new UsageError(`No key id: pass --kid KID or set SIGNET_KID (${where}).`);
  const key = secretFile !== undefined ? await loadHmacSecretFile(secretFile) : await loadSigningKeyFile(profile.keyFile!);
  return { env, profile, kid: profile.kid, key };
}

/** After a 403: which profile signed and which to use instead, when the key lacks a scope. */
export async function scopeHintFor(setup: ClientSetup, problem: { code?: unknown } | undefined): Promise<string | undefined> {
  if (problem?.code !== 'insufficient_scope') return undefined;
  const names = Object.keys((await readProfileFile(setup.env.configFile)).profiles);
  return scopeHint(problem, { profile: setup.profile.name, kid: setup.kid }, names);
}

/** A PATH (starting with "/") is resolved against the server; anything else must be an absolute URL. */
export function resolveTarget(target: string, server: string | undefined): string {
  if (target.startsWith('/')) {
    if (server === undefined) throw new UsageError(`"${target}" is a path: pass --server URL, set SIGNET_SERVER, or use a profile with a server.`);
    return new URL(target, server).href;
  }
  if (!/^https?:\/\//i.test(target)) throw new UsageError(`"${target}" must be an absolute http(s) URL or a path starting with "/".`);
  return target;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** -d DATA: a literal string, @FILE for a file's exact bytes (as curl's --data-binary), or @- for standard input. */
export async function readData(data: unknown): Promise<Uint8Array | undefined> {
  if (typeof data !== 'string') return undefined;
  if (!data.startsWith('@')) return new TextEncoder().encode(data);
  if (data === '@-') return readStdin();
  try {
    return new Uint8Array(await readFile(data.slice(1)));
  } catch {
    throw new SignetError('invalid_request', { detail: `Cannot read the data file ${data.slice(1)}.` });
  }
}

export function requirePositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} required.`);
  if (positionals.length > names.length) throw new UsageError(`Unexpected argument "${positionals[names.length]}".`);
  return positionals;
}

/** --ttl as a usage error when malformed, rather than a local-input error. */
export function ttlFlag(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  try {
    return parseTtl(value);
  } catch (error) {
    throw new UsageError(`--ttl: ${(error as SignetError).detail}`);
  }
}
