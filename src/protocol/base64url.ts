import { invalidToken } from './errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const STRICT = /^[A-Za-z0-9_-]*$/;
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Node's Buffer where present (the protocol also runs in browsers, where it is absent). */
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64url'): Uint8Array } }).Buffer;

export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/**
 * Strict base64url (RFC 7515 section 2): URL-safe alphabet only, no padding, no whitespace, and a
 * canonical last character (unused bits zero). Lenient decoders let one signed token be written as
 * several strings; this one accepts exactly one spelling per byte string. A refusal is
 * `invalid_token` unless `refuse` says otherwise: text that did not come from the caller (a stored
 * row) is not the caller's fault.
 */
export function decodeBase64url(text: string, refuse: (reason: string) => Error = invalidToken): Uint8Array {
  if (!STRICT.test(text) || text.length % 4 === 1) throw refuse('non-canonical base64url');
  // The last character of a 2- or 3-character group carries 4 or 2 unused low bits: they must be 0.
  const unusedBits = [0, 0, 4, 2][text.length % 4]!;
  if (unusedBits > 0 && (DECODE[text.charCodeAt(text.length - 1)]! & ((1 << unusedBits) - 1)) !== 0) {
    throw refuse('non-canonical base64url: trailing bits set');
  }
  // Node's native decoder is several times faster; the checks above already made the input strict.
  if (NodeBuffer !== undefined) {
    const decoded = NodeBuffer.from(text, 'base64url');
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  }
  return decodeCheckedBase64urlPortably(text);
}

/** The decoder browsers use: `text` must already have passed decodeBase64url's checks. */
export function decodeCheckedBase64urlPortably(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    value = (value << 6) | DECODE[text.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >>> bits) & 0xff;
    }
  }
  return out;
}

/** Standard base64 (with padding) for PEM and OpenSSH bodies; strict about its alphabet. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const unpadded = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  try {
    return decodeBase64url(unpadded);
  } catch {
    return undefined;
  }
}

export function encodeBase64(bytes: Uint8Array): string {
  const url = encodeBase64url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}
