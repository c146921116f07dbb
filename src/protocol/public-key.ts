// WebCrypto can neither decode a point nor tell a small-order one, which a "universal" signature
// would verify under; @noble/ed25519 does both, in Node and browsers.
import { Point } from '@noble/ed25519';
import { decodeBase64, decodeBase64url, encodeBase64, encodeBase64url } from './base64url.js';
import { SignetError } from './errors.js';
import { sha256Base64url } from './hash.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow it. */
export const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

function reject(detail: string): SignetError {
  return new SignetError('invalid_public_key', { detail });
}

const PRIVATE_MARKERS = /PRIVATE KEY|"d"\s*:|openssh-key-v1/;

/**
 * Accepts an Ed25519 public key as a JWK (object or JSON text), a PEM SubjectPublicKeyInfo, or an
 * OpenSSH `ssh-ed25519` line, and returns its 32 raw bytes. Refuses private-key material, other key
 * types and curves, non-canonical encodings, and small-order points (the identity among them),
 * under which a "universal" signature would verify for every message.
 */
export function importEd25519PublicKey(input: unknown): Uint8Array {
  if (typeof input === 'object' && input !== null) return validatePoint(fromJwk(input as Record<string, unknown>));
  if (typeof input !== 'string') throw reject('A public key must be a JWK, a PEM block or an OpenSSH line.');
  const text = input.trim();
  if (PRIVATE_MARKERS.test(text)) {
    throw reject('This is private-key material. Upload only the public key; the private key never leaves your machine.');
  }
  if (text.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw reject('The JWK is not valid JSON.');
    }
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw reject('The JWK must be a JSON object.');
    return validatePoint(fromJwk(jwk as Record<string, unknown>));
  }
  if (text.startsWith('-----BEGIN')) return validatePoint(fromPem(text));
  if (text.startsWith('ssh-')) return validatePoint(fromOpenSsh(text));
  throw reject('Unrecognised public key format: expected a JWK, a PEM "PUBLIC KEY" block or an "ssh-ed25519" line.');
}

function fromJwk(jwk: Record<string, unknown>): Uint8Array {
  if ('d' in jwk) throw reject('This JWK contains a private key ("d"). Upload only the public key.');
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw reject('The JWK must have kty "OKP" and crv "Ed25519".');
  if (typeof jwk.x !== 'string') throw reject('The JWK has no "x" member.');
  let raw: Uint8Array;
  try {
    raw = decodeBase64url(jwk.x);
  } catch {
    throw reject('The JWK "x" member is not canonical base64url.');
  }
  if (raw.length !== 32) throw reject('The JWK "x" member must encode 32 bytes.');
  return raw;
}

function fromPem(text: string): Uint8Array {
  const match = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----$/.exec(text);
  if (match === null) throw reject('Expected one PEM "PUBLIC KEY" block (SubjectPublicKeyInfo).');
  const der = decodeBase64(match[1]!.replace(/\r?\n/g, ''));
  if (der === undefined) throw reject('The PEM body is not valid base64.');
  if (der.length !== 44 || !ED25519_SPKI_PREFIX.every((byte, i) => der[i] === byte)) {
    throw reject('The PEM key is not an Ed25519 public key.');
  }
  return der.slice(12);
}

function fromOpenSsh(text: string): Uint8Array {
  const [type, body] = text.split(/\s+/);
  if (type !== 'ssh-ed25519' || body === undefined) throw reject('Only "ssh-ed25519" OpenSSH keys are accepted.');
  const blob = decodeBase64(body);
  if (blob === undefined) throw reject('The OpenSSH key body is not valid base64.');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const nameLength = blob.length >= 4 ? view.getUint32(0) : -1;
  const name = new TextDecoder().decode(blob.slice(4, 4 + nameLength));
  if (nameLength !== 11 || name !== 'ssh-ed25519' || blob.length !== 4 + 11 + 4 + 32 || view.getUint32(15) !== 32) {
    throw reject('The OpenSSH key blob is not a well-formed ssh-ed25519 key.');
  }
  return blob.slice(19);
}

function validatePoint(raw: Uint8Array): Uint8Array {
  let point: Point;
  try {
    point = Point.fromBytes(raw, false);
  } catch {
    throw reject('The key bytes are not a canonical point on Ed25519.');
  }
  if (point.isSmallOrder()) throw reject('The key is a small-order point (such as the identity) and would accept forged signatures.');
  return raw;
}

export function publicKeyToJwk(raw: Uint8Array): Ed25519PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(raw) };
}

export function publicKeyToPem(raw: Uint8Array): string {
  const der = new Uint8Array(44);
  der.set(ED25519_SPKI_PREFIX, 0);
  der.set(raw, 12);
  const body = encodeBase64(der);
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}

export function publicKeyToOpenSsh(raw: Uint8Array, comment = ''): string {
  const blob = new Uint8Array(4 + 11 + 4 + 32);
  const view = new DataView(blob.buffer);
  view.setUint32(0, 11);
  blob.set(new TextEncoder().encode('ssh-ed25519'), 4);
  view.setUint32(15, 32);
  blob.set(raw, 19);
  return `ssh-ed25519 ${encodeBase64(blob)}${comment === '' ? '' : ' ' + comment}`;
}

/**
 * RFC 7638 JWK thumbprint: identifies a public key in the audit log, catches duplicate uploads and
 * names the key a proof of possession is signed with. The client kit computes it with jose; the
 * server computes it here, by hand, so that the code the server loads depends on no JOSE library
 * (for a validated Ed25519 key the canonical JSON is one fixed template). A test checks both agree.
 */
export function jwkThumbprint(raw: Uint8Array): Promise<string> {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${encodeBase64url(raw)}"}`;
  return sha256Base64url(new TextEncoder().encode(canonical));
}
