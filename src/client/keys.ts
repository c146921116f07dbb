// WebCrypto and jose neither derive a public key from a seed nor decode points, so the check that
// a private JWK's "x" belongs to its "d" uses @noble/ed25519 (already in the bundle: the protocol's
// public-key import needs it to refuse small-order points).
import { getPublicKeyAsync } from '@noble/ed25519';
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint';
import { exportJWK } from 'jose/key/export';
import { decodeBase64, decodeBase64url, encodeBase64, encodeBase64url } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';
import { importEd25519PublicKey, publicKeyToJwk, publicKeyToOpenSsh, publicKeyToPem, type Ed25519PublicJwk } from '../protocol/public-key.js';
import { decodeOpenSshPrivateKey, encodeOpenSshPrivateKey, isOpenSshPrivateKey } from './openssh-private-key.js';

/** An Ed25519 key pair held as WebCrypto keys: the same type in Node and in browsers. */
export interface Ed25519KeyPair {
  privateKey: CryptoKey;
  /** Raw 32-byte public key. */
  publicKey: Uint8Array;
}

export type KeyFormat = 'jwk' | 'pem' | 'openssh';

const subtle = () => globalThis.crypto.subtle;

function invalidKey(detail: string): SignetError {
  return new SignetError('invalid_request', { detail });
}

/**
 * Generates an Ed25519 key pair locally. `extractable: false` keeps the private key inside the
 * platform (browsers: it can be stored in IndexedDB but never read back out).
 */
export async function generateKeyPair(options: { extractable?: boolean } = {}): Promise<Ed25519KeyPair> {
  const pair = (await subtle().generateKey({ name: 'Ed25519' }, options.extractable ?? true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

export interface PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
}

/**
 * Imports an Ed25519 private key from a JWK (object or JSON text), a PKCS#8 PEM block
 * (`openssl genpkey -algorithm ed25519`) or an unencrypted OpenSSH private key
 * (`ssh-keygen -t ed25519 -N ''`).
 */
export async function importPrivateKey(input: string | PrivateJwk, options: { extractable?: boolean } = {}): Promise<Ed25519KeyPair> {
  const extractable = options.extractable ?? true;
  let jwk: PrivateJwk | undefined;
  if (typeof input === 'string' && isOpenSshPrivateKey(input)) {
    const key = decodeOpenSshPrivateKey(input);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(key.publicKey), d: encodeBase64url(key.seed) };
  } else if (typeof input === 'string' && input.trim().startsWith('-----BEGIN PRIVATE KEY-----')) {
    const body = input
      .trim()
      .replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '')
      .replace(/\s+/g, '');
    const der = decodeBase64(body);
    if (der === undefined) throw invalidKey('The PEM private key is not valid base64.');
    let privateKey: CryptoKey;
    try {
      privateKey = await subtle().importKey('pkcs8', der as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, true, ['sign']);
    } catch {
      throw invalidKey('The PEM private key is not an Ed25519 PKCS#8 key.');
    }
    jwk = (await exportJWK(privateKey)) as PrivateJwk;
  } else if (typeof input === 'string' && input.trim().startsWith('{')) {
    try {
      jwk = JSON.parse(input) as PrivateJwk;
    } catch {
      throw invalidKey('The JWK private key is not valid JSON.');
    }
  } else if (typeof input === 'object' && input !== null) {
    jwk = input;
  }
  if (jwk === undefined) {
    throw invalidKey('Unrecognised private key: expected an Ed25519 JWK, a PEM "PRIVATE KEY" block or an OpenSSH private key.');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw invalidKey('The private key must be an Ed25519 JWK with "x" and "d".');
  }
  await checkPublicMatchesSeed(jwk);
  let privateKey: CryptoKey;
  try {
    // WebCrypto directly, not jose's importJWK: on this four-member JWK, checked above, importJWK
    // ends in this same call, and importing it would put jose's whole JWS and JWE algorithm table
    // into the browser bundle (2.7 kB minified) for nothing.
    privateKey = await subtle().importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, { name: 'Ed25519' }, extractable, ['sign']);
  } catch {
    throw invalidKey('The private key could not be imported as Ed25519.');
  }
  return { privateKey, publicKey: decodeBase64url(jwk.x) };
}

/**
 * Not every WebCrypto checks that a JWK's "x" belongs to its "d"; a mismatch would make every
 * signature fail on the server with no hint why, so it is caught here, locally.
 */
async function checkPublicMatchesSeed(jwk: PrivateJwk): Promise<void> {
  let seed: Uint8Array;
  let x: Uint8Array;
  try {
    seed = decodeBase64url(jwk.d);
    x = decodeBase64url(jwk.x);
  } catch {
    throw invalidKey('The private key\'s "x" and "d" must be canonical base64url.');
  }
  if (seed.length !== 32 || x.length !== 32) throw invalidKey('The private key\'s "x" and "d" must each encode 32 bytes.');
  const derived = await getPublicKeyAsync(seed);
  if (!derived.every((byte, i) => byte === x[i])) throw invalidKey('The private key\'s public part "x" does not belong to its private part "d".');
}

/**
 * Serialises the private key: PKCS#8 PEM, JWK, or an unencrypted OpenSSH private key (which
 * `ssh-keygen -y -f FILE` reads). The key must have been made extractable.
 */
export async function exportPrivateKey(pair: Ed25519KeyPair, format: KeyFormat, options: { comment?: string } = {}): Promise<string> {
  if (format === 'openssh') {
    const jwk = await exportJWK(pair.privateKey);
    return encodeOpenSshPrivateKey({ seed: decodeBase64url(jwk.d!), publicKey: pair.publicKey, comment: options.comment ?? '' });
  }
  if (format === 'jwk') {
    const jwk = await exportJWK(pair.privateKey);
    return JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, null, 2) + '\n';
  }
  const der = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** Serialises the public key in any accepted upload format. */
export function exportPublicKey(publicKey: Uint8Array, format: KeyFormat, comment = ''): string {
  if (format === 'jwk') return JSON.stringify(publicKeyToJwk(publicKey)) + '\n';
  if (format === 'pem') return publicKeyToPem(publicKey);
  return publicKeyToOpenSsh(publicKey, comment) + '\n';
}

/**
 * RFC 7638 JWK thumbprint of an Ed25519 public key, computed by jose: the `kid` of a Signet-Proof
 * and the name of a key file. The server computes the same value itself (protocol/public-key.ts).
 */
export function jwkThumbprint(publicKey: Uint8Array): Promise<string> {
  return calculateJwkThumbprint(publicKeyToJwk(publicKey), 'sha256');
}

export { importEd25519PublicKey, type Ed25519PublicJwk };
