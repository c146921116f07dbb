import { AUTH_SCHEME } from './format.js';

/**
 * The closed list of Signet error codes. Every failure the server reports, and every failure the
 * client kit raises for a server answer, carries exactly one of these codes. Adding a code is a
 * protocol change: document it in docs/protocol.md.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, title: 'The request is malformed.' },
  invalid_public_key: { status: 400, title: 'The public key is not an acceptable Ed25519 public key.' },
  missing_token: { status: 401, title: 'The request carries no Signet signature.' },
  invalid_token: { status: 401, title: 'The request signature could not be verified.' },
  token_expired: { status: 401, title: 'The signed token has expired.' },
  token_issued_in_future: { status: 401, title: 'The signed token was issued in the future.' },
  token_lifetime_too_long: { status: 401, title: 'The signed token lives longer than the server allows.' },
  audience_mismatch: { status: 401, title: 'The signed token was made for another audience.' },
  binding_mismatch: { status: 401, title: 'The signed token does not match this request.' },
  token_replayed: { status: 401, title: 'The signed token has already been used.' },
  key_revoked: { status: 401, title: 'The signing key has been revoked.' },
  key_expired: { status: 401, title: 'The signing key has expired.' },
  key_not_yet_valid: { status: 401, title: 'The signing key is not valid yet.' },
  invalid_proof: { status: 401, title: 'The key upload lacks a valid proof of possession by the new key.' },
  invalid_enrollment_code: { status: 401, title: 'The enrollment code is unknown, expired or already used.' },
  consumer_disabled: { status: 403, title: 'The consumer owning this key is disabled.' },
  mode_not_allowed: { status: 403, title: 'The consumer owning this key may not sign with this kind of key.' },
  insufficient_scope: { status: 403, title: 'The signing key lacks a scope this route requires.' },
  not_found: { status: 404, title: 'No such resource.' },
  method_not_allowed: { status: 405, title: 'The method is not allowed on this resource.' },
  conflict: { status: 409, title: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, title: 'The request body is larger than the server accepts.' },
  rate_limited: { status: 429, title: 'Too many requests.' },
  internal_error: { status: 500, title: 'The server failed unexpectedly.' },
  replay_store_full: { status: 503, title: 'The server cannot record more one-time tokens right now.' },
  service_unavailable: { status: 503, title: 'A service the server depends on is unavailable.' },
  headers_too_large: { status: 431, title: 'The request headers are larger than the server accepts.' },
  request_timeout: { status: 408, title: 'The request did not arrive in time.' },
  upstream_unavailable: { status: 502, title: 'The upstream API could not be reached or failed to answer.' },
  upstream_timeout: { status: 504, title: 'The upstream API did not answer in time.' },
  not_implemented: { status: 501, title: 'The gateway does not support this kind of request.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** One mismatched binding, reported only after the signature has been verified. */
export interface BindingMismatch {
  claim: string;
  expected: string;
  received: string;
}

export interface SignetErrorOptions {
  /** Human sentence safe to show to the caller. Defaults to the code's title. */
  detail?: string;
  /** Detail for the server log only: never sent to the caller. */
  privateDetail?: string;
  /** Extra public members for the problem body (for example `mismatches`). */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 9110 section 11.6.1), naming the error code so a
 * client learns why without parsing the body.
 */
export function authenticateChallenge(code: ErrorCode): string {
  return `${AUTH_SCHEME} realm="signet", error="${code}"`;
}

/**
 * The one error type of Signet. `detail` is public; `privateDetail` is logged and never sent.
 *
 * It also carries what Koa's own error handling reads (`status`, `expose`, `headers`), so a host
 * app that mounts Signet's middleware without Signet's error handler still answers a refused
 * request with the right status, the public sentence (never a server-side one) and, for a 401, the
 * challenge header.
 */
export class SignetError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly privateDetail: string | undefined;
  readonly extra: Readonly<Record<string, unknown>>;
  /** Koa shows `message` (the public detail) only when this is true: never for a 5xx. */
  readonly expose: boolean;
  /** Response headers Koa sets when it renders this error. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, options: SignetErrorOptions = {}) {
    const detail = options.detail ?? ERROR_CODES[code].title;
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SignetError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.detail = detail;
    this.privateDetail = options.privateDetail;
    this.extra = Object.freeze({ ...(options.extra ?? {}) });
    this.expose = this.status < 500;
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (this.status === 401) headers['WWW-Authenticate'] = authenticateChallenge(code);
    this.headers = Object.freeze(headers);
  }
}

/**
 * Every failure before the signature is verified must look alike to the caller, so an attacker
 * learns nothing about which check failed. The reason goes to the log only.
 */
export function invalidToken(privateDetail: string): SignetError {
  return new SignetError('invalid_token', { privateDetail });
}
