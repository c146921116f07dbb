import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { SignetError, invalidToken, type BindingMismatch } from '../protocol/errors.js';
import { EMPTY_BODY_SHA256, JTI_PATTERN, type RequestClaims } from '../protocol/format.js';
import {
  CONTENT_DIGEST_HEADER,
  HTTP_SIGNATURE_ALGORITHMS,
  REQUIRED_METHOD_COMPONENT,
  SIGNATURE_AGENT_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_INPUT_HEADER,
  SPLIT_TARGET_COMPONENTS,
  TARGET_URI_COMPONENT,
  WEB_BOT_AUTH_TAG,
} from '../protocol/http-signatures/constants.js';
import { contentDigestSha256, formatContentDigest } from '../protocol/http-signatures/content-digest.js';
import { signatureBase } from '../protocol/http-signatures/signature-base.js';
import { parseHttpSignature, type HttpSignatureParams, type ParsedHttpSignature } from '../protocol/http-signatures/signature-input.js';
import type { ReplayStore } from '../store/types.js';
import type { KeyCache, ResolvedKey } from './key-cache.js';
import type { AgentCheck } from './web-bot-auth.js';
import { checkKeyState, checkSignature, checkTiming, headerValue, replayExpiryMs, type ClaimRules, type IncomingRequest, type VerifiedRequest, type VerifierDeps } from './verifier.js';

export interface HttpSignatureCheckDeps {
  rules: ClaimRules;
  keys: Pick<KeyCache, 'resolve'>;
  replay: ReplayStore;
  clock: Clock;
  onThreadPool: boolean | (() => boolean);
  hmacSecret: (key: ResolvedKey) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** The label to verify; undefined: the only one present. */
  label: string | undefined;
  onVerified: ((verified: VerifiedRequest, now: number) => void) | undefined;
  /** Web Bot Auth agents; undefined when no agent is allowed. */
  agents: AgentCheck | undefined;
  /** Spends the nonce and counts the request against its rate limits in one store call, as for a JWS jti. */
  spendToken: VerifierDeps['spendToken'];
}

const RFC9421_TIMING = { what: 'signature', iat: 'created', exp: 'expires' };

/** The parameters Signet requires of a consumer's signature, besides keyid (needed to find the key at all). */
const REQUIRED_PARAMETERS = ['created', 'expires', 'nonce'] as const;

/**
 * The request as the signer must have seen it: the method received and the target URI built from
 * the configured public origin (never the Host header), so a signature for another origin fails.
 */
function rebuildBase(parsed: ParsedHttpSignature, request: IncomingRequest, targetUri: string): string {
  return signatureBase(parsed.components, parsed.signatureParams, { method: request.method, targetUri, header: (name) => headerValue(request, name) }, parsed.dictionaryKeys);
}

/** Present only once the signature verified: the signer wrote the parameters, so naming them leaks nothing. */
function requireParameters(params: HttpSignatureParams): Required<Pick<HttpSignatureParams, 'created' | 'expires' | 'nonce'>> {
  const missing = REQUIRED_PARAMETERS.filter((name) => params[name] === undefined);
  if (missing.length > 0) {
    throw new SignetError('invalid_token', {
      detail: `The signature lacks the parameter(s) ${missing.join(', ')}: Signet requires created, expires, nonce and keyid (docs/rfc9421.md).`,
      privateDetail: `signature parameters missing: ${missing.join(', ')}`,
      extra: { missing_parameters: missing },
    });
  }
  if (!JTI_PATTERN.test(params.nonce!)) {
    const detail = 'The signature parameter "nonce" must be 22 to 128 base64url characters (at least 128 random bits).';
    throw new SignetError('invalid_token', { detail, privateDetail: detail });
  }
  return { created: params.created!, expires: params.expires!, nonce: params.nonce! };
}

/** The components Signet requires to be covered and that this signature leaves out. */
function uncoveredComponents(components: readonly string[], hasBody: boolean): string[] {
  const covered = new Set(components);
  const missing: string[] = [];
  if (!covered.has(REQUIRED_METHOD_COMPONENT)) missing.push(REQUIRED_METHOD_COMPONENT);
  if (!covered.has(TARGET_URI_COMPONENT)) {
    const split = SPLIT_TARGET_COMPONENTS.filter((name) => !covered.has(name));
    // Name the whole alternative when none of it is there, the missing parts when some are.
    if (split.length === SPLIT_TARGET_COMPONENTS.length) missing.push(TARGET_URI_COMPONENT);
    else missing.push(...split);
  }
  if (hasBody && !covered.has(CONTENT_DIGEST_HEADER)) missing.push(CONTENT_DIGEST_HEADER);
  return missing;
}

function requireComponents(components: readonly string[], hasBody: boolean): void {
  const missing = uncoveredComponents(components, hasBody);
  if (missing.length === 0) return;
  const mismatches: BindingMismatch[] = missing.map((name) => ({ claim: name, expected: 'covered by the signature', received: 'not covered' }));
  throw new SignetError('binding_mismatch', {
    detail: `The signature does not cover ${missing.join(', ')}${hasBody ? ' (a request with a body must cover content-digest)' : ''}.`,
    extra: { mismatches, missing_components: missing },
  });
}

/** SHA-256 of the body, checked against a covered (or required) Content-Digest; returns it base64url for the claims. */
function checkContentDigest(request: IncomingRequest, covered: boolean): string {
  // The usual GET: nothing to hash (a constant, as the JWS format's binding check does).
  if (!covered && request.body.length === 0) return EMPTY_BODY_SHA256;
  const digest = createHash('sha256').update(request.body).digest();
  if (!covered) return digest.toString('base64url');
  const expected = formatContentDigest(digest);
  const received = headerValue(request, CONTENT_DIGEST_HEADER) ?? '';
  const claimed = contentDigestSha256(received);
  if (claimed === undefined || !digest.equals(claimed)) {
    throw new SignetError('binding_mismatch', {
      detail: `The content-digest does not match the body received${claimed === undefined ? ' (it carries no sha-256 digest)' : ''}.`,
      extra: { mismatches: [{ claim: CONTENT_DIGEST_HEADER, expected, received }] },
    });
  }
  return digest.toString('base64url');
}

/**
 * The RFC 9421 request format, for the same registered keys as the JWS format. Order as there:
 * strict parsing, key, pinned algorithm and signature first, all failing alike; then required
 * parameters, time, covered components, Content-Digest and key state, each reported precisely;
 * the nonce is spent last, in the same replay store and namespace (key id, one-time value) as a
 * JWS `jti`, so a value spent in one format is spent in both.
 */
export function createHttpSignatureCheck(deps: HttpSignatureCheckDeps): (request: IncomingRequest) => Promise<VerifiedRequest> {
  const { rules, keys, replay, clock } = deps;
  return async function verifyHttpSignature(request) {
    const signatureInput = headerValue(request, SIGNATURE_INPUT_HEADER);
    const signatureField = headerValue(request, SIGNATURE_HEADER);
    if (signatureInput === undefined || signatureField === undefined) throw invalidToken('Signature-Input or Signature missing');
    const parsed = parseHttpSignature(signatureInput, signatureField, deps.label);
    if (parsed.params.tag === WEB_BOT_AUTH_TAG && headerValue(request, SIGNATURE_AGENT_HEADER) !== undefined) {
      if (deps.agents === undefined) throw invalidToken('web-bot-auth signature but no agent is allowed');
      // No last-use time to record: an agent's key lives in its directory, not in Signet's store.
      return deps.agents(parsed, request);
    }
    const resolved = await keys.resolve(parsed.params.keyid);
    if (resolved === undefined) throw invalidToken('unknown keyid');
    const pinned = HTTP_SIGNATURE_ALGORITHMS[resolved.key.type];
    if (parsed.params.alg !== undefined && parsed.params.alg !== pinned) throw invalidToken(`alg ${parsed.params.alg} not allowed for a ${resolved.key.type} key`);
    // Built once: the signature base and the url claim both use it.
    const targetUri = rules.expectedUrl(request.target, false);
    if (targetUri === undefined) throw invalidToken('request target cannot be made absolute');
    const base = rebuildBase(parsed, request, targetUri);
    const secret = resolved.key.type === 'hmac' ? await deps.hmacSecret(resolved) : undefined;
    if (!(await checkSignature({ signingInput: base, signature: parsed.signature }, resolved, secret, deps.onThreadPool))) {
      throw invalidToken('signature does not verify');
    }

    // From here on the signer is proven, so errors may say exactly what is wrong.
    const { created, expires, nonce } = requireParameters(parsed.params);
    const nowMs = clock.now();
    checkTiming(rules, { iat: created, exp: expires }, rules.maxTokenLifetimeSeconds, nowMs, RFC9421_TIMING);
    const hasBody = request.body.length > 0;
    requireComponents(parsed.components, hasBody);
    const bodySha256 = checkContentDigest(request, parsed.components.includes(CONTENT_DIGEST_HEADER));
    checkKeyState(resolved, nowMs);

    const expiresAtMs = replayExpiryMs({ exp: expires }, rules.clockSkewSeconds);
    const spent =
      deps.spendToken === undefined ? { verdict: await replay.checkAndSet(resolved.key.id, nonce, expiresAtMs, created * 1000) } : await deps.spendToken(resolved, nonce, expiresAtMs, created * 1000);
    if (spent.verdict === 'replayed') {
      throw new SignetError('token_replayed', { detail: 'This nonce was already used, in this format or as a JWS jti. Sign every request afresh (new nonce).' });
    }
    const claims: RequestClaims = {
      method: request.method,
      url: targetUri,
      body_sha256: bodySha256,
      aud: rules.audience,
      iat: created,
      exp: expires,
      jti: nonce,
    };
    const verified: VerifiedRequest = { consumer: resolved.consumer, key: resolved.key, mode: resolved.key.type, claims, presigned: false, format: 'rfc9421', rateCounted: spent.counted };
    deps.onVerified?.(verified, nowMs);
    return verified;
  };
}
