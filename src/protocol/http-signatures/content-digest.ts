import { encodeBase64 } from '../base64url.js';
import { MAX_CONTENT_DIGEST_LENGTH } from './constants.js';
import { parseStrictDictionary } from './structured-fields.js';

/** RFC 9530 `Content-Digest` with the one algorithm Signet uses: `sha-256=:<base64>:`. */
export function formatContentDigest(sha256: Uint8Array): string {
  return `sha-256=:${encodeBase64(sha256)}:`;
}

/** SHA-256 of the body through WebCrypto (browser-safe), formatted as a Content-Digest value. */
export async function contentDigestFor(body: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>);
  return formatContentDigest(new Uint8Array(digest));
}

/**
 * The `sha-256` digest a Content-Digest field carries, or undefined when it carries none (other
 * algorithms are ignored, as RFC 9530 allows). A malformed field is `invalid_token`.
 */
export function contentDigestSha256(value: string): Uint8Array | undefined {
  const member = parseStrictDictionary('Content-Digest', value, MAX_CONTENT_DIGEST_LENGTH).get('sha-256');
  if (member === undefined || !(member[0] instanceof ArrayBuffer)) return undefined;
  return new Uint8Array(member[0]);
}
