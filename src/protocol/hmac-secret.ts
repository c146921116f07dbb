import { SignetError } from './errors.js';
import { BASE62, randomBase62 } from './ids.js';
import { HMAC_SECRET_PREFIX } from './secret-formats.js';

/**
 * HMAC secrets (docs/protocol.md, "HMAC keys"): GitHub-token style, so secret scanners recognise
 * them and a mistyped secret is refused offline, before any request is signed:
 *
 *   sgnt_hs_ + 43 base62 characters (256 random bits) + 6 base62 characters (CRC32 checksum)
 *
 * The HMAC key is the whole secret string's ASCII bytes (57 bytes), so any JWT library can use
 * the secret exactly as printed (PyJWT: `jwt.encode(claims, secret, algorithm="HS256")`).
 */

/** 43 base62 characters carry 43 * log2(62) = 256.03 bits. */
export const HMAC_SECRET_BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const HMAC_SECRET_LENGTH = HMAC_SECRET_PREFIX.length + HMAC_SECRET_BODY_LENGTH + CHECKSUM_LENGTH;

/** RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HMAC_KEY_BYTES = 32;

const SHAPE = new RegExp(`^${HMAC_SECRET_PREFIX}([0-9A-Za-z]{${HMAC_SECRET_BODY_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3, as zlib and GitHub tokens use it) of the bytes. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();

/** The checksum of prefix + body, as 6 base62 characters (62^6 > 2^32). */
function checksum(body: string): string {
  let n = crc32(encoder.encode(HMAC_SECRET_PREFIX + body));
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** A fresh secret from the platform CSPRNG. Only the server calls this; it shows the result once. */
export function newHmacSecret(): string {
  return hmacSecretFromBody(randomBase62(HMAC_SECRET_BODY_LENGTH));
}

/** Prefix + the given 43 base62 characters + their checksum: for fixed test vectors of the client kits. */
export function hmacSecretFromBody(body: string): string {
  return HMAC_SECRET_PREFIX + body + checksum(body);
}

/** True when the text is meant to be an HMAC secret (it may still be mistyped). */
export function looksLikeHmacSecret(text: string): boolean {
  return text.startsWith(HMAC_SECRET_PREFIX);
}

/**
 * Checks a secret's shape and checksum and returns the HMAC key bytes. A truncated, mistyped or
 * foreign string is a SignetError invalid_request whose sentence says which.
 */
export function parseHmacSecret(text: string): Uint8Array {
  if (!looksLikeHmacSecret(text)) {
    throw new SignetError('invalid_request', { detail: `This is not a Signet HMAC secret: it must start with "${HMAC_SECRET_PREFIX}".` });
  }
  const match = SHAPE.exec(text);
  if (match === null) {
    throw new SignetError('invalid_request', {
      detail: `This HMAC secret is malformed: expected "${HMAC_SECRET_PREFIX}" and ${HMAC_SECRET_LENGTH - HMAC_SECRET_PREFIX.length} letters and digits (${HMAC_SECRET_LENGTH} characters in all), got ${text.length} characters. Was it truncated?`,
    });
  }
  if (checksum(match[1]!) !== match[2]) {
    throw new SignetError('invalid_request', { detail: 'This HMAC secret fails its checksum: a character was mistyped or changed. Copy it again exactly as it was shown.' });
  }
  return encoder.encode(text);
}
