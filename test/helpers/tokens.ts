import { encodeBase64url } from '../../src/protocol/base64url.js';
import { TOKEN_TYPE } from '../../src/protocol/format.js';
import { newJti } from '../../src/protocol/ids.js';

/**
 * Hand-made tokens for hostile-input tests: the header and payload are written as raw JSON text,
 * so a test can produce what signRequest never would (duplicate members, alg none, extra claims).
 */

const encoder = new TextEncoder();

export const segment = (text: string): string => encodeBase64url(encoder.encode(text));

export type Signer = (signingInput: string) => Promise<Uint8Array>;

export function ed25519Signer(privateKey: CryptoKey): Signer {
  return async (input) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, encoder.encode(input)));
}

export function hmacSigner(secret: Uint8Array): Signer {
  return async (input) => {
    const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input)));
  };
}

/** `header.payload.signature` from raw JSON texts (or objects, serialised with JSON.stringify). */
export async function craftToken(header: string | object, payload: string | object, sign: Signer): Promise<string> {
  const text = (value: string | object) => (typeof value === 'string' ? value : JSON.stringify(value));
  const signingInput = `${segment(text(header))}.${segment(text(payload))}`;
  return `${signingInput}.${encodeBase64url(await sign(signingInput))}`;
}

export function headerFor(kid: string, alg = 'EdDSA'): { alg: string; kid: string; typ: string } {
  return { alg, kid, typ: TOKEN_TYPE };
}

/** SHA-256 of the empty body, base64url: the body_sha256 of a GET. */
const EMPTY_SHA256 = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

/** Claims that verify for `GET origin+path` at `nowMs` (override any of them). */
export function claimsFor(origin: string, nowMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return { method: 'GET', url: origin + '/v1/whoami', body_sha256: EMPTY_SHA256, aud: origin, iat, exp: iat + 60, jti: newJti(), ...overrides };
}
