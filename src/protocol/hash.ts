import { encodeBase64url } from './base64url.js';

/** base64url(SHA-256(bytes)) through WebCrypto, so it runs in Node and in browsers alike. */
export async function sha256Base64url(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return encodeBase64url(new Uint8Array(digest));
}
