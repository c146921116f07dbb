import { decodeBase64url } from './base64url.js';
import { invalidToken, SignetError } from './errors.js';
import { CLAIMS, HEADER_MEMBERS, JTI_PATTERN, KID_PATTERN, MAX_TOKEN_LENGTH, TOKEN_TYPE, type RequestClaims, type TokenHeader } from './format.js';
import { parseStrictJson, type JsonValue } from './strict-json.js';

export interface ParsedToken {
  header: TokenHeader;
  /** The exact ASCII `header.payload` the signature covers. */
  signingInput: string;
  /** The payload's bytes, decoded once here; decodeClaims parses them after the signature verified. */
  payload: Uint8Array;
  signature: Uint8Array;
}

// Sets, so each member name costs one lookup rather than a scan of the list.
const HEADER_MEMBER_SET: ReadonlySet<string> = new Set(HEADER_MEMBERS);
const CLAIM_SET: ReadonlySet<string> = new Set(CLAIMS);
const STRING_CLAIMS = ['method', 'url', 'body_sha256', 'aud', 'jti'] as const;
const TIME_CLAIMS = ['iat', 'exp'] as const;

function isPlainObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a compact JWS strictly, before any cryptography. Every failure here is `invalid_token`
 * with a private reason only, so a caller cannot probe which check failed.
 */
export function parseToken(token: unknown): ParsedToken {
  if (typeof token !== 'string') throw invalidToken('token is not a string');
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken(`token longer than ${MAX_TOKEN_LENGTH}`);
  // Three segments found with indexOf: no array of parts, and the signing input is one slice of
  // the token (a flat string) rather than two segments joined again.
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) throw invalidToken(`token has ${token.split('.').length} segments, not 3`);
  if (firstDot === 0 || secondDot === firstDot + 1 || secondDot === token.length - 1) {
    throw invalidToken('empty token segment');
  }
  const headerSegment = token.slice(0, firstDot);
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);
  const header = parseStrictJson(decodeBase64url(headerSegment));
  if (!isPlainObject(header)) throw invalidToken('header is not a JSON object');
  for (const name of Object.keys(header)) {
    if (!HEADER_MEMBER_SET.has(name)) throw invalidToken(`header member ${name} not allowed`);
  }
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string') throw invalidToken('alg missing or not a string');
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw invalidToken('kid missing or malformed');
  if (typ !== TOKEN_TYPE) throw invalidToken('typ missing or not ' + TOKEN_TYPE);
  // Decoded now so malformed base64url fails before the crypto step too, and kept for decodeClaims.
  const payload = decodeBase64url(payloadSegment);
  return {
    header: { alg, kid, typ },
    signingInput: token.slice(0, secondDot),
    payload,
    signature: decodeBase64url(signatureSegment),
  };
}

function claimError(detail: string): SignetError {
  return new SignetError('invalid_token', { detail, privateDetail: detail });
}

/**
 * Decodes and shape-checks the claims. Call only after the signature verified: the signer wrote
 * these values, so the public detail may name the faulty claim.
 */
export function decodeClaims(payloadBytes: Uint8Array): RequestClaims {
  let payload: JsonValue;
  try {
    payload = parseStrictJson(payloadBytes);
  } catch {
    throw claimError('The token payload is not strict JSON (duplicate or __proto__ members, bad UTF-8, or too deep).');
  }
  if (!isPlainObject(payload)) throw claimError('The token payload is not a JSON object.');
  for (const name of Object.keys(payload)) {
    if (!CLAIM_SET.has(name)) throw claimError(`The token carries an unknown claim "${name}".`);
  }
  // The claim lists are constants: no per-request arrays of [name, value] pairs.
  for (const name of STRING_CLAIMS) {
    if (typeof payload[name] !== 'string') throw claimError(`The claim "${name}" must be a string.`);
  }
  for (const name of TIME_CLAIMS) {
    const value = payload[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw claimError(`The claim "${name}" must be a non-negative integer number of seconds.`);
    }
  }
  const { method, url, body_sha256, aud, iat, exp, jti } = payload;
  if (!JTI_PATTERN.test(jti as string)) {
    throw claimError('The claim "jti" must be 22 to 128 base64url characters (at least 128 random bits).');
  }
  return { method, url, body_sha256, aud, iat, exp, jti } as RequestClaims;
}
