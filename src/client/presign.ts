import { SignetError } from '../protocol/errors.js';
import { PRESIGN_PARAM, type RequestClaims } from '../protocol/format.js';
import { signRequest } from './sign.js';
import { queryParam } from '../protocol/target.js';
import { parseTtl } from './duration.js';
import { toSigningKey, type ClientKey } from './signing-key.js';

export interface PresignOptions {
  /** Absolute URL of the GET request the link makes. */
  url: string;
  key: ClientKey;
  kid: string;
  /** Lifetime: seconds, or text like "90s" or "5m"; 1 s to 300 s, default 60 s. */
  ttl?: number | string;
  /** Epoch milliseconds; defaults to Date.now(). */
  now?: number;
  audience?: string;
  /** Defaults to a fresh random nonce; fixed only for test vectors. */
  jti?: string;
}

export interface PresignedLink {
  /** The link: the URL plus `signet_token=<JWS>`. */
  url: string;
  /** When the token's `exp` passes (epoch ms); the server adds its clock-skew tolerance. */
  expiresAt: number;
  claims: RequestClaims;
}

/**
 * Makes a single-use, short-lived GET link. The token is signed for the URL without its own
 * parameter (which the server removes before comparing) and then appended to the query.
 */
export async function presignUrl(options: PresignOptions): Promise<PresignedLink> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SignetError('invalid_request', { detail: `"${options.url}" is not an absolute URL.` });
  }
  url.hash = '';
  const href = url.href;
  if (queryParam(url.pathname + url.search, PRESIGN_PARAM) !== undefined) {
    throw new SignetError('invalid_request', { detail: `The URL already carries a ${PRESIGN_PARAM} parameter.` });
  }
  const signed = await signRequest({
    method: 'GET',
    url: href,
    key: toSigningKey(options.key),
    kid: options.kid,
    lifetimeSeconds: parseTtl(options.ttl ?? 60),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.jti !== undefined ? { jti: options.jti } : {}),
  });
  // A compact JWS is base64url and dots only: nothing in it needs percent-encoding.
  const separator = url.search === '' ? (href.endsWith('?') ? '' : '?') : '&';
  return { url: `${href}${separator}${PRESIGN_PARAM}=${signed.token}`, expiresAt: signed.claims.exp * 1000, claims: signed.claims };
}
