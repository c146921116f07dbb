import { encodeBase64url } from './base64url.js';
import { SignetError } from './errors.js';
import {
  AUTH_SCHEME,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  TOKEN_TYPE,
  type RequestClaims,
  type TokenHeader,
} from './format.js';
import { sha256Base64url } from './hash.js';
import { MIN_HMAC_KEY_BYTES } from './hmac-secret.js';
import { newJti } from './ids.js';
import { canonicalizeUrl, type CanonicalUrl } from './target.js';

export type SigningKey =
  | { type: 'ed25519'; privateKey: CryptoKey; alg?: 'EdDSA' | 'Ed25519' }
  | { type: 'hmac'; secret: Uint8Array };

export interface SignRequestInput {
  method: string;
  /** Absolute URL as it will be sent (the public origin of the API plus path and query). */
  url: string;
  /** Exact body bytes (a string is UTF-8 encoded). Omit for no body. */
  body?: Uint8Array | string;
  key: SigningKey;
  kid: string;
  /** Milliseconds since the epoch; defaults to Date.now(). Pass a corrected clock here. */
  now?: number;
  lifetimeSeconds?: number;
  /** Defaults to the URL's origin, which is also the server's default audience. */
  audience?: string;
  jti?: string;
}

export interface SignedRequest {
  token: string;
  authorization: string;
  claims: RequestClaims;
}

const encoder = new TextEncoder();

function jsonSegment(value: unknown): string {
  return encodeBase64url(encoder.encode(JSON.stringify(value)));
}

/** Signs bytes with a SigningKey through WebCrypto; both request formats use it. */
export async function signBytes(key: SigningKey, input: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const data = input as Uint8Array<ArrayBuffer>;
  if (key.type === 'ed25519') return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key.privateKey, data));
  const hmacKey = await subtle.importKey('raw', key.secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, data));
}

/** What both request formats check and derive before signing: canonical URL, key strength, lifetime, body bytes. */
export interface PreparedSigning {
  canonical: CanonicalUrl;
  lifetime: number;
  body: Uint8Array;
}

export function prepareSigning(input: Pick<SignRequestInput, 'url' | 'key' | 'lifetimeSeconds' | 'body'>): PreparedSigning {
  const canonical = canonicalizeUrl(input.url);
  if (canonical === undefined) {
    throw new SignetError('invalid_request', { detail: `Cannot sign "${input.url}": expected an absolute http(s) URL without a fragment.` });
  }
  if (input.key.type === 'hmac' && input.key.secret.length < MIN_HMAC_KEY_BYTES) {
    // RFC 7518 section 3.2: a shorter HS256 key is guessable offline from one captured token.
    throw new SignetError('invalid_request', { detail: `An HMAC secret must be at least ${MIN_HMAC_KEY_BYTES} bytes; this one has ${input.key.secret.length}.` });
  }
  const lifetime = input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new SignetError('invalid_request', { detail: `The token lifetime must be 1 to ${MAX_TOKEN_LIFETIME_SECONDS} seconds.` });
  }
  const body = typeof input.body === 'string' ? encoder.encode(input.body) : (input.body ?? new Uint8Array(0));
  return { canonical, lifetime, body };
}

/**
 * Signs one HTTP request. The client kit and the tests use this same function, and the verifier
 * imports the same constants and canonicaliser, so signing and verifying cannot drift apart.
 */
export async function signRequest(input: SignRequestInput): Promise<SignedRequest> {
  const { canonical, lifetime, body } = prepareSigning(input);
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const claims: RequestClaims = {
    method: input.method.toUpperCase(),
    url: canonical.href,
    body_sha256: await sha256Base64url(body),
    aud: input.audience ?? canonical.origin,
    iat,
    exp: iat + lifetime,
    jti: input.jti ?? newJti(),
  };
  const alg = input.key.type === 'hmac' ? 'HS256' : (input.key.alg ?? 'EdDSA');
  const header: TokenHeader = { alg, kid: input.kid, typ: TOKEN_TYPE };
  const signingInput = `${jsonSegment(header)}.${jsonSegment(claims)}`;
  const signature = await signBytes(input.key, encoder.encode(signingInput));
  const token = `${signingInput}.${encodeBase64url(signature)}`;
  return { token, authorization: `${AUTH_SCHEME} ${token}`, claims };
}
