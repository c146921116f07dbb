import { createHash, createHmac, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { SignetError, invalidToken, type BindingMismatch } from '../protocol/errors.js';
import { ALGORITHMS_BY_KEY_TYPE, AUTH_SCHEME, EMPTY_BODY_SHA256, MAX_TOKEN_LIFETIME_SECONDS, PRESIGN_PARAM, type KeyType, type RequestClaims } from '../protocol/format.js';
import { canonicalizeUrl, expectedUrlFor, queryParamValues } from '../protocol/target.js';
import { decodeClaims, parseToken, type ParsedToken } from '../protocol/token.js';
import type { ConsumerRecord, KeyRecord, ReplayStore, ReplayVerdict } from '../store/types.js';
import { SIGNATURE_HEADER, SIGNATURE_INPUT_HEADER } from '../protocol/http-signatures/constants.js';
import { createHttpSignatureCheck } from './http-signature-verifier.js';
import type { AgentCheck } from './web-bot-auth.js';
import type { KeyCache, ResolvedKey } from './key-cache.js';
import type { WindowsCounted } from './rate-limit/limiter.js';
import { threadPoolPolicy } from './thread-pool-policy.js';

export interface IncomingRequest {
  method: string;
  /** The request target exactly as received: path and query. */
  target: string;
  authorization: string | undefined;
  body: Uint8Array;
  /**
   * The request's header fields, lower-case names (Node's `IncomingMessage.headers`): the RFC 9421
   * format reads Signature-Input, Signature, Content-Digest and whatever fields a signature covers.
   */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * base64url SHA-256 of the body, when the body itself is not here (forward-auth in Content-Digest
   * mode): whoever passes it vouches that something downstream checks the body against it.
   */
  bodySha256?: string;
}

/** Which of the two request formats a request was signed in (docs/rfc9421.md). */
type RequestFormat = 'jws' | 'rfc9421';

export interface VerifiedRequest {
  consumer: ConsumerRecord;
  key: KeyRecord;
  mode: KeyType;
  /**
   * What the signature bound. For the RFC 9421 format, the equivalent values: `iat` is `created`,
   * `exp` is `expires`, `jti` is `nonce`, `url` the verified target URI and `aud` this server's.
   */
  claims: RequestClaims;
  presigned: boolean;
  format: RequestFormat;
  /**
   * Set for a Web Bot Auth agent (docs/rfc9421.md): its directory origin and key id. `consumer`
   * and `key` then describe the agent (id `agent:<origin>`), with the operator's agent scopes.
   */
  agent?: { origin: string; keyid: string };
  /** Set when the replay step also counted the request against its rate limits (VerifierDeps.spendToken). */
  rateCounted?: WindowsCounted | undefined;
}

export interface VerifierDeps {
  /** verifyOnThreadPool defaults to true. */
  config: Pick<Config, 'publicOrigin' | 'audience' | 'maxTokenLifetimeSeconds' | 'clockSkewSeconds'> & Partial<Pick<Config, 'verifyOnThreadPool'>>;
  keys: Pick<KeyCache, 'resolve'> & Partial<Pick<KeyCache, 'cached'>>;
  replay: ReplayStore;
  clock: Clock;
  /** Called after a request verified; used to coalesce last-use times. */
  onVerified?: (verified: VerifiedRequest, now: number) => void;
  /**
   * HMAC secrets; without it HMAC keys never verify. Default: the secret the key cache decrypted
   * on its fill (ResolvedKey.hmacSecret).
   */
  hmacSecret?: (key: ResolvedKey) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** The RFC 9421 label to verify (SIGNET_HTTP_SIGNATURE_LABEL); default: the only one present. */
  httpSignatureLabel?: string;
  /** Verifies Web Bot Auth agents; without it agent signatures are refused. */
  agents?: AgentCheck;
  /**
   * The replay step in place of replay.checkAndSet: the app's also counts a fresh token against its
   * consumer's rate limits in the same store call (src/server/rate-limit/fresh-token-counting.ts).
   */
  spendToken?: (resolved: ResolvedKey, jti: string, expiresAtMs: number, issuedAtMs: number) => SpentToken | Promise<SpentToken>;
}

export type Verifier = (request: IncomingRequest) => Promise<VerifiedRequest>;

/** The replay step's answer: fresh or replayed, and the rate-limit counts when it also counted. */
interface SpentToken {
  verdict: ReplayVerdict;
  counted?: WindowsCounted;
}

const SCHEME_PREFIX = AUTH_SCHEME.toLowerCase() + ' ';

/** A header field's value, repeated lines combined with ", " as RFC 9110 allows. */
export function headerValue(request: Pick<IncomingRequest, 'headers'>, name: string): string | undefined {
  const value = request.headers?.[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

const CANONICAL_PREFIX = AUTH_SCHEME + ' ';

function isSignetAuthorization(header: string | undefined): boolean {
  if (header === undefined) return false;
  // The scheme as the clients write it is matched without copying; any other case (RFC 9110: the
  // scheme is case-insensitive) goes through the lower-cased comparison.
  return header.startsWith(CANONICAL_PREFIX) || header.slice(0, SCHEME_PREFIX.length).toLowerCase() === SCHEME_PREFIX;
}

/**
 * RFC 9421 when the request carries Signature-Input or Signature and no Signet Authorization
 * (another Authorization scheme is left to the application); both formats at once are ambiguous.
 */
function requestFormat(request: IncomingRequest): RequestFormat {
  if (request.headers === undefined) return 'jws';
  const httpSignature = request.headers[SIGNATURE_INPUT_HEADER] !== undefined || request.headers[SIGNATURE_HEADER] !== undefined;
  if (!httpSignature) return 'jws';
  if (isSignetAuthorization(request.authorization)) throw invalidToken('both a Signet token and an RFC 9421 signature');
  return 'rfc9421';
}

function extractToken(request: IncomingRequest): { token: string; presigned: boolean } {
  const header = request.authorization;
  if (header !== undefined && header !== '') {
    if (!isSignetAuthorization(header)) {
      throw invalidToken('authorization scheme is not Signet');
    }
    return { token: header.slice(SCHEME_PREFIX.length).trim(), presigned: false };
  }
  const fromQuery = queryParamValues(request.target, PRESIGN_PARAM);
  if (fromQuery.length === 0) {
    throw new SignetError('missing_token', {
      detail: `Sign the request and send the token as "Authorization: ${AUTH_SCHEME} <token>", or sign it with RFC 9421 (Signature-Input and Signature).`,
    });
  }
  if (request.method !== 'GET') {
    throw new SignetError('missing_token', { detail: 'Presigned links are valid for GET requests only.' });
  }
  // Every copy of the parameter is left out of the bound URL, so a second copy would be unsigned
  // input travelling with a valid link (parameter pollution for the application behind Signet).
  if (fromQuery.length > 1) throw invalidToken('presigned-link parameter repeated');
  return { token: fromQuery[0]!, presigned: true };
}

/**
 * Checks the signature against the resolved key; also used for the proof of possession of a new key.
 * With `onThreadPool`, Ed25519 verification runs on libuv's thread pool (crypto.verify with a
 * callback): the main thread goes on parsing and answering other requests meanwhile, which measured
 * 1.2 to 1.7 times the throughput of verifying synchronously on a 2-core machine; on one core the
 * hand-off only costs thread switches (docs/performance.md). A function is asked per signature
 * (threadPoolPolicy: on the pool only while the main thread is busy).
 */
export function checkSignature(
  parsed: Pick<ParsedToken, 'signingInput' | 'signature'>,
  resolved: Pick<ResolvedKey, 'key' | 'keyObject'>,
  hmacSecret: Uint8Array | undefined,
  onThreadPool: boolean | (() => boolean) = true,
): boolean | Promise<boolean> {
  // Synchronous answers (HMAC, Ed25519 off the thread pool) are returned as they are: a promise
  // around them would only cost the hot path an allocation and a microtask hop per request.
  if (resolved.key.type === 'ed25519') {
    const input = Buffer.from(parsed.signingInput, 'latin1');
    const keyObject = resolved.keyObject;
    if (parsed.signature.length !== 64 || keyObject === null) return false;
    if (!(typeof onThreadPool === 'function' ? onThreadPool() : onThreadPool)) {
      try {
        return verifySignature(null, input, keyObject, parsed.signature);
      } catch {
        return false; // as the callback form reports an error: not verified
      }
    }
    return new Promise((resolve) => {
      verifySignature(null, input, keyObject, parsed.signature, (error, valid) => resolve(error === null && valid));
    });
  }
  // A secret shorter than RFC 7518's 32 bytes is never accepted, whatever produced it.
  if (hmacSecret === undefined || hmacSecret.length < 32 || parsed.signature.length !== 32) return false;
  // The signing input is ASCII (base64url and a dot): the HMAC reads the string itself, no Buffer copy.
  return timingSafeEqual(createHmac('sha256', hmacSecret).update(parsed.signingInput, 'latin1').digest(), parsed.signature);
}

const cachedSecret = (resolved: ResolvedKey): Uint8Array | undefined => resolved.hmacSecret;

/**
 * How long a jti must be remembered. The time check accepts a token while floor(now / 1000) <=
 * exp + skew, that is until the start of second exp + skew + 1.
 */
export function replayExpiryMs(claims: Pick<RequestClaims, 'exp'>, clockSkewSeconds: number): number {
  return (claims.exp + clockSkewSeconds + 1) * 1000;
}

/**
 * The Signet verifier, a plain function of its dependencies (the Koa middleware is a thin wrapper).
 * Order matters: strict parsing, key, pinned algorithm and signature first, all failing alike; then
 * time, audience, request binding and key state, each reported precisely; the replay store is
 * written last, only for a request that passed everything else.
 */
export function createVerifier(deps: VerifierDeps): Verifier {
  const { config, keys, replay, clock, spendToken } = deps;
  const rules = claimRules(config);
  const onThreadPool = threadPoolPolicy(config.verifyOnThreadPool ?? true);
  const hmacSecret = deps.hmacSecret ?? cachedSecret;
  const verifyHttpSignature = createHttpSignatureCheck({
    rules,
    keys,
    replay,
    clock,
    onThreadPool,
    hmacSecret,
    label: deps.httpSignatureLabel,
    onVerified: deps.onVerified,
    agents: deps.agents,
    spendToken,
  });

  return async function verifyRequest(request: IncomingRequest): Promise<VerifiedRequest> {
    if (requestFormat(request) === 'rfc9421') return verifyHttpSignature(request);
    const { token, presigned } = extractToken(request);
    const parsed = parseToken(token);
    // A cache hit is read synchronously; only a miss waits for the store.
    const resolved = keys.cached?.(parsed.header.kid) ?? (await keys.resolve(parsed.header.kid));
    if (resolved === undefined) throw invalidToken('unknown kid');
    if (!ALGORITHMS_BY_KEY_TYPE[resolved.key.type].includes(parsed.header.alg)) {
      throw invalidToken(`alg ${parsed.header.alg} not allowed for a ${resolved.key.type} key`);
    }
    const pendingSecret = resolved.key.type === 'hmac' ? hmacSecret(resolved) : undefined;
    const secret = pendingSecret instanceof Promise ? await pendingSecret : pendingSecret;
    const checked = checkSignature(parsed, resolved, secret, onThreadPool);
    if (!(typeof checked === 'boolean' ? checked : await checked)) throw invalidToken('signature does not verify');

    // From here on the signer is proven, so errors may say exactly what is wrong.
    const claims = decodeClaims(parsed.payload);
    const nowMs = clock.now();
    checkClaims(rules, request, claims, presigned, nowMs);
    checkKeyState(resolved, nowMs);

    const expiresAtMs = replayExpiryMs(claims, config.clockSkewSeconds);
    const spending = spendToken === undefined ? undefined : spendToken(resolved, claims.jti, expiresAtMs, claims.iat * 1000);
    // A store in memory answers synchronously; only a promise is awaited (no microtask hop otherwise).
    const spent: SpentToken =
      spending === undefined ? { verdict: await replay.checkAndSet(resolved.key.id, claims.jti, expiresAtMs, claims.iat * 1000) } : spending instanceof Promise ? await spending : spending;
    if (spent.verdict === 'replayed') {
      throw new SignetError('token_replayed', { detail: 'This token was already used. Sign every request afresh (new jti).' });
    }
    const verified: VerifiedRequest = { consumer: resolved.consumer, key: resolved.key, mode: resolved.key.type, claims, presigned, format: 'jws', rateCounted: spent.counted };
    deps.onVerified?.(verified, nowMs);
    return verified;
  };
}

/** What the claims are checked against, prepared once per verifier from the configuration. */
export interface ClaimRules extends Pick<Config, 'audience' | 'maxTokenLifetimeSeconds' | 'clockSkewSeconds'> {
  /** The `url` claim a request target must carry (public origin + target, canonical). */
  expectedUrl(requestTarget: string, presigned: boolean): string | undefined;
}

export function claimRules(config: Pick<Config, 'publicOrigin' | 'audience' | 'maxTokenLifetimeSeconds' | 'clockSkewSeconds'>): ClaimRules {
  const { audience, maxTokenLifetimeSeconds, clockSkewSeconds } = config;
  return { audience, maxTokenLifetimeSeconds, clockSkewSeconds, expectedUrl: expectedUrlFor(config.publicOrigin) };
}

/**
 * The checks between a verified signature and the key state: time, lifetime, audience and the
 * request binding, each reported precisely. Shared with the proof-of-possession verifier.
 */
export function checkClaims(rules: ClaimRules, request: IncomingRequest, claims: RequestClaims, presigned: boolean, nowMs: number): void {
  checkTiming(rules, claims, presigned ? MAX_TOKEN_LIFETIME_SECONDS : rules.maxTokenLifetimeSeconds, nowMs);
  if (claims.aud !== rules.audience) {
    throw new SignetError('audience_mismatch', {
      detail: `The token is for audience "${claims.aud}" but this server is "${rules.audience}".`,
      extra: { mismatches: [{ claim: 'aud', expected: rules.audience, received: claims.aud }] },
    });
  }
  const expected = rules.expectedUrl(request.target, presigned) ?? request.target;
  const bodyHash = request.bodySha256 ?? (request.body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(request.body).digest('base64url'));
  // The request every honest signer sends: all three bound exactly, nothing to collect.
  if (claims.method === request.method && claims.url === expected && claims.body_sha256 === bodyHash) return;
  const mismatches = bindingMismatches(request, claims, expected, bodyHash);
  if (mismatches.length > 0) {
    throw new SignetError('binding_mismatch', {
      detail: `The token was signed for a different request: ${mismatches.map((m) => m.claim).join(', ')} differ.`,
      extra: { mismatches },
    });
  }
}

/** How a format names its times in the problem details: the JWS claims, or RFC 9421's parameters. */
export interface TimingNames {
  what: string;
  iat: string;
  exp: string;
}

const JWS_TIMING: TimingNames = { what: 'token', iat: 'iat', exp: 'exp' };

/** Epoch seconds as people read them, with the number the token carries: "2026-01-01T00:00:00Z (1767225600)". */
const readableTime = (seconds: number): string => {
  const date = new Date(seconds * 1000);
  // A time beyond what Date can show (a forged token may carry any number) stays a number.
  return Number.isNaN(date.getTime()) ? String(seconds) : `${date.toISOString().replace('.000Z', 'Z')} (${seconds})`;
};

/**
 * Issued-at, lifetime and expiry, the same rules for both formats (RFC 9421's `created` and
 * `expires` play `iat` and `exp`). The problem body carries `iat` and `exp` in both.
 */
export function checkTiming(rules: Pick<ClaimRules, 'clockSkewSeconds'>, claims: Pick<RequestClaims, 'iat' | 'exp'>, maxLifetime: number, nowMs: number, names: TimingNames = JWS_TIMING): void {
  const skew = rules.clockSkewSeconds;
  const now = Math.floor(nowMs / 1000);
  const inTime = claims.iat <= now + skew && claims.exp > claims.iat && claims.exp - claims.iat <= maxLifetime && now <= claims.exp + skew;
  // Every request passes here: the problem details below are built only for one that fails.
  if (inTime) return;
  const timing = { iat: claims.iat, exp: claims.exp };
  // The JWS claims are named iat and exp, which the message need not repeat; RFC 9421's are named.
  const named = (name: string) => (names === JWS_TIMING ? '' : ` (${name})`);
  if (claims.iat > now + skew) {
    throw new SignetError('token_issued_in_future', {
      detail: `The ${names.what} was issued at ${readableTime(claims.iat)}${named(names.iat)}, ${claims.iat - now} s after the server's time ${readableTime(now)} (at most ${skew} s is allowed). Check the client clock.`,
      extra: timing,
    });
  }
  if (claims.exp <= claims.iat || claims.exp - claims.iat > maxLifetime) {
    throw new SignetError('token_lifetime_too_long', {
      detail: `${names.exp} - ${names.iat} must be between 1 and ${maxLifetime} seconds; it is ${claims.exp - claims.iat}.`,
      extra: { ...timing, max_lifetime: maxLifetime },
    });
  }
  if (now > claims.exp + skew) {
    throw new SignetError('token_expired', {
      detail: `The ${names.what} expired at ${readableTime(claims.exp)}${named(names.exp)}, ${now - claims.exp} s before the server's time ${readableTime(now)} (${skew} s of clock skew is allowed). Sign each request just before sending it.`,
      extra: timing,
    });
  }
}

/** `expected` is the canonical URL the request was sent to, `bodyHash` its body's hash. */
function bindingMismatches(request: IncomingRequest, claims: RequestClaims, expected: string, bodyHash: string): BindingMismatch[] {
  const mismatches: BindingMismatch[] = [];
  if (claims.method !== request.method) mismatches.push({ claim: 'method', expected: request.method, received: claims.method });
  // A signer may send a URL that is not in canonical form: it binds the same request once canonicalised.
  const received = claims.url === expected ? expected : (canonicalizeUrl(claims.url)?.href ?? claims.url);
  if (received !== expected) mismatches.push({ claim: 'url', expected, received: claims.url });
  if (claims.body_sha256 !== bodyHash) mismatches.push({ claim: 'body_sha256', expected: bodyHash, received: claims.body_sha256 });
  return mismatches;
}

export function checkKeyState({ key, consumer }: ResolvedKey, nowMs: number): void {
  if (key.revokedAt !== null && key.revokedAt <= nowMs) {
    throw new SignetError('key_revoked', { detail: `The key ${key.id} was revoked at ${new Date(key.revokedAt).toISOString()}.` });
  }
  if (key.notBefore !== null && key.notBefore > nowMs) {
    throw new SignetError('key_not_yet_valid', { detail: `The key ${key.id} is valid from ${new Date(key.notBefore).toISOString()}.` });
  }
  if (key.expiresAt !== null && key.expiresAt <= nowMs) {
    throw new SignetError('key_expired', { detail: `The key ${key.id} expired at ${new Date(key.expiresAt).toISOString()}.` });
  }
  if (consumer.status !== 'active') {
    throw new SignetError('consumer_disabled', { detail: `The consumer ${consumer.id} is disabled.` });
  }
  if (!consumer.allowedModes.includes(key.type)) {
    throw new SignetError('mode_not_allowed', {
      detail: `The consumer ${consumer.id} may sign with ${consumer.allowedModes.join(' or ')} keys only; ${key.id} is an ${key.type} key. Sign with another key, or ask the admin to allow ${key.type}.`,
      extra: { mode: key.type, allowed_modes: consumer.allowedModes },
    });
  }
}
