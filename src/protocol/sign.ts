import { SignetError } from './errors.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, TOKEN_TYPE, type RequestClaims, type TokenHeader } from './format.js';
import { sha256Base64url } from './hash.js';
import { newJti } from './ids.js';
import { canonicalizeUrl } from './target.js';

export interface RequestTokenInput {
  method: string;
  /** Absolute URL as it will be sent (the public origin of the API plus path and query). */
  url: string;
  /** Exact body bytes (a string is UTF-8 encoded). Omit for no body. */
  body?: Uint8Array | string;
  /** The JWS algorithm the key signs with: `EdDSA` or `Ed25519` for Ed25519 keys, `HS256` for HMAC secrets. */
  alg: string;
  kid: string;
  /** Milliseconds since the epoch; defaults to Date.now(). Pass a corrected clock here. */
  now?: number;
  lifetimeSeconds?: number;
  /** Defaults to the URL's origin, which is also the server's default audience. */
  audience?: string;
  jti?: string;
}

/** What a signer puts in a token, before any signature: the JWS protected header and the claims. */
export interface RequestToken {
  header: TokenHeader;
  claims: RequestClaims;
}

const encoder = new TextEncoder();

/**
 * The header and claims that bind one HTTP request. Signing them is the client kit's job (with
 * jose); building them here, next to the constants and the canonicaliser the verifier imports,
 * keeps what is signed and what is verified from drifting apart.
 */
export async function requestToken(input: RequestTokenInput): Promise<RequestToken> {
  const canonical = canonicalizeUrl(input.url);
  if (canonical === undefined) {
    throw new SignetError('invalid_request', { detail: `Cannot sign "${input.url}": expected an absolute http(s) URL without a fragment.` });
  }
  const lifetime = input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new SignetError('invalid_request', { detail: `The token lifetime must be 1 to ${MAX_TOKEN_LIFETIME_SECONDS} seconds.` });
  }
  const body = typeof input.body === 'string' ? encoder.encode(input.body) : (input.body ?? new Uint8Array(0));
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
  return { header: { alg: input.alg, kid: input.kid, typ: TOKEN_TYPE }, claims };
}
