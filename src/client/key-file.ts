import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { SignetError } from '../protocol/errors.js';
import { looksLikeHmacSecret, parseHmacSecret } from '../protocol/hmac-secret.js';
import { importEd25519PublicKey } from '../protocol/public-key.js';
import type { SigningKey } from './signing-key.js';
import { exportPrivateKey, exportPublicKey, importPrivateKey, type Ed25519KeyPair, type KeyFormat } from './keys.js';

/**
 * Node-only: key files on disk (the one module of the client kit that is not browser-safe).
 * Private key files are created with mode 0600, and, as ssh does, loading one that group or
 * others can read is refused unless the caller opts out.
 */

/** Loading a private key file whose permissions let others read it. */
export class KeyFilePermissionError extends SignetError {
  constructor(
    readonly path: string,
    /** The file's permission bits, e.g. 0o644. */
    readonly mode: number,
  ) {
    const octal = mode.toString(8).padStart(4, '0');
    super('invalid_request', {
      detail: `Permissions ${octal} for ${path} are too open: a private key file must not be readable by group or others. Run: chmod 600 ${path}`,
    });
    this.name = 'KeyFilePermissionError';
  }
}

export interface SaveKeyPairOptions {
  /** Private key format: pem (PKCS#8, default), jwk or openssh. */
  format?: KeyFormat;
  /** Public key format (default: the same as `format`). */
  publicFormat?: KeyFormat;
  /** Comment for OpenSSH keys. */
  comment?: string;
  /** Replace existing files; by default an existing key file is never overwritten. */
  overwrite?: boolean;
}

export interface SavedKeyPair {
  privatePath: string;
  publicPath: string;
  /** The public key text, ready to upload. */
  publicKey: string;
}

/** Writes the private key to `path` (mode 0600) and the public key to `path.pub` (mode 0644). */
export async function saveKeyPair(pair: Ed25519KeyPair, path: string, options: SaveKeyPairOptions = {}): Promise<SavedKeyPair> {
  const format = options.format ?? 'pem';
  const privateText = await exportPrivateKey(pair, format, { comment: options.comment ?? '' });
  const publicKey = exportPublicKey(pair.publicKey, options.publicFormat ?? format, options.comment ?? '');
  const flag = options.overwrite === true ? 'w' : 'wx';
  const publicPath = `${path}.pub`;
  for (const target of [path, publicPath]) {
    try {
      await writeFile(target, target === path ? privateText : publicKey, { mode: target === path ? 0o600 : 0o644, flag });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SignetError('conflict', { detail: `${target} already exists; refusing to overwrite a key file.` });
      }
      throw new SignetError('invalid_request', { detail: `Cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.` });
    }
    // writeFile's mode is masked by the umask and ignored for an existing file: set it explicitly.
    if (target === path) await chmod(path, 0o600);
  }
  return { privatePath: path, publicPath, publicKey };
}

export interface LoadPrivateKeyOptions {
  /** Skip the permission check (for example on file systems without Unix permissions). */
  allowInsecurePermissions?: boolean;
  /** Make the loaded key exportable again (default false: it can only sign). */
  extractable?: boolean;
}

/** Loads a private key file in any supported format (PEM, JWK or OpenSSH). */
export async function loadPrivateKeyFile(path: string, options: LoadPrivateKeyOptions = {}): Promise<Ed25519KeyPair> {
  return importPrivateKey(await readSecretFile(path, 'key', options), { extractable: options.extractable ?? false });
}

/**
 * Loads a file holding either an Ed25519 private key or an HMAC secret (`sgnt_hs_...`, one line),
 * with the same permission check. The secret's format and checksum are checked here, offline.
 */
export async function loadSigningKeyFile(path: string, options: LoadPrivateKeyOptions = {}): Promise<SigningKey> {
  const text = await readSecretFile(path, 'key', options);
  if (looksLikeHmacSecret(text.trim())) return { type: 'hmac', secret: parseHmacSecret(text.trim()) };
  return { type: 'ed25519', privateKey: (await importPrivateKey(text, { extractable: options.extractable ?? false })).privateKey };
}

/** Loads an HMAC secret file (the secret on one line, mode 0600). */
export async function loadHmacSecretFile(path: string, options: LoadPrivateKeyOptions = {}): Promise<SigningKey> {
  const text = (await readSecretFile(path, 'secret', options)).trim();
  if (!looksLikeHmacSecret(text)) throw new SignetError('invalid_request', { detail: `The secret file ${path} does not hold a Signet HMAC secret (sgnt_hs_...).` });
  return { type: 'hmac', secret: parseHmacSecret(text) };
}

/** Writes an HMAC secret to a new file with mode 0600; an existing file is never overwritten. */
export async function saveHmacSecret(secret: string, path: string): Promise<void> {
  try {
    await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new SignetError('conflict', { detail: `${path} already exists; refusing to overwrite a secret file.` });
    throw new SignetError('invalid_request', { detail: `Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.` });
  }
  await chmod(path, 0o600);
}

async function readSecretFile(path: string, what: 'key' | 'secret', options: LoadPrivateKeyOptions): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new SignetError('invalid_request', { detail: `Cannot read the ${what} file ${path}.` });
  }
  if (!info.isFile()) throw new SignetError('invalid_request', { detail: `The ${what} file ${path} is not a regular file.` });
  // A public key is checked first: its .pub file is rightly world-readable, and "chmod 600" would be the wrong advice.
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text !== undefined && looksLikePublicKey(text)) {
    throw new SignetError('invalid_request', {
      detail: `${path} holds a public key; sign with the private key file${path.endsWith('.pub') ? ` (${path.slice(0, -4)})` : ''}, and register the .pub file with the server.`,
    });
  }
  if (options.allowInsecurePermissions !== true && process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new KeyFilePermissionError(path, info.mode & 0o777);
  }
  if (text === undefined) throw new SignetError('invalid_request', { detail: `Cannot read the ${what} file ${path}.` });
  return text;
}

/** A PEM/SPKI public key, an OpenSSH public line, or a JWK without its private member "d". */
function looksLikePublicKey(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN PUBLIC KEY-----') || /^ssh-ed25519 /.test(trimmed)) return true;
  if (!trimmed.startsWith('{')) return false;
  try {
    const jwk = JSON.parse(trimmed) as Record<string, unknown>;
    return typeof jwk.x === 'string' && jwk.d === undefined;
  } catch {
    return false;
  }
}

/** Loads a public key file (JWK, PEM or an OpenSSH line) as its 32 raw bytes. */
export async function loadPublicKeyFile(path: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new SignetError('invalid_request', { detail: `Cannot read the public key file ${path}.` });
  }
  return importEd25519PublicKey(text);
}
