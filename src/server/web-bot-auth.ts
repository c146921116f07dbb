import { createPublicKey } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { encodeBase64url } from '../protocol/base64url.js';
import { SignetError, invalidToken, type BindingMismatch } from '../protocol/errors.js';
import { EMPTY_BODY_SHA256, type RequestClaims } from '../protocol/format.js';
import { SIGNATURE_AGENT_HEADER } from '../protocol/http-signatures/constants.js';
import { MAX_SIGNATURE_AGENT_LENGTH, signatureAgentUrl } from '../protocol/http-signatures/signature-agent.js';
import { signatureBase } from '../protocol/http-signatures/signature-base.js';
import type { ParsedHttpSignature } from '../protocol/http-signatures/signature-input.js';
import { canonicalizeUrl } from '../protocol/target.js';
import type { DirectoryCache } from '../key-directory/directory-cache.js';
import { directoryKeyRecord } from './directory-key-record.js';
import type { ConsumerRecord, ReplayStore } from '../store/types.js';
import { checkSignature, checkTiming, headerValue, replayExpiryMs, type ClaimRules, type IncomingRequest, type VerifiedRequest } from './verifier.js';

/** Where an agent publishes its keys (Web Bot Auth directory draft). */
const DIRECTORY_PATH = '/.well-known/http-message-signatures-directory';

/** What an agent's signature must cover: who it is talking to and who it is. */
const AGENT_COMPONENTS = ['@authority', SIGNATURE_AGENT_HEADER] as const;

/** A Web Bot Auth nonce: usually 64 random bytes in base64; at least 128 bits either way. */
const AGENT_NONCE = /^[A-Za-z0-9+/=_-]{22,256}$/;

export interface AgentCheckDeps {
  config: Pick<Config, 'webBotAuthAgents' | 'webBotAuthScopes' | 'webBotAuthMethods' | 'keyDirectoryAllowPrivate'>;
  rules: ClaimRules;
  directories: Pick<DirectoryCache, 'resolve'>;
  replay: ReplayStore;
  clock: Clock;
  onThreadPool: boolean | (() => boolean);
}

export type AgentCheck = (parsed: ParsedHttpSignature, request: IncomingRequest) => Promise<VerifiedRequest>;

/** The allowed agent origin the Signature-Agent field names, in the form the signature covers, or a uniform refusal. */
function agentOrigin(request: IncomingRequest, parsed: ParsedHttpSignature, allowed: readonly string[]): string {
  const field = headerValue(request, SIGNATURE_AGENT_HEADER);
  if (field === undefined || field.length > MAX_SIGNATURE_AGENT_LENGTH) throw invalidToken('Signature-Agent missing or too long');
  const url = signatureAgentUrl(field, parsed);
  const origin = url === undefined ? undefined : canonicalizeUrl(url)?.origin;
  if (origin === undefined || !allowed.includes(origin)) throw invalidToken('Signature-Agent not an allowed agent');
  return origin;
}

/**
 * Web Bot Auth agents: a signature tagged `web-bot-auth` with a Signature-Agent field, verified
 * against the agent's key directory when the operator allows that agent's origin. An agent
 * signature covers `@authority` and `signature-agent`: it proves who sent the request, not which
 * method, path or body, so agents get only the operator's agent scopes and methods.
 */
export function createAgentCheck(deps: AgentCheckDeps): AgentCheck {
  const { config, rules, directories, replay, clock } = deps;
  return async function verifyAgent(parsed, request) {
    const origin = agentOrigin(request, parsed, config.webBotAuthAgents);
    if (parsed.params.alg !== undefined && parsed.params.alg !== 'ed25519') throw invalidToken(`alg ${parsed.params.alg} not allowed for an agent`);
    const found = await directories.resolve(origin + DIRECTORY_PATH, parsed.params.keyid);
    if (found === undefined) throw invalidToken('agent keyid not in its directory');
    const targetUri = rules.expectedUrl(request.target, false);
    if (targetUri === undefined) throw invalidToken('request target cannot be made absolute');
    const base = signatureBase(parsed.components, parsed.signatureParams, { method: request.method, targetUri, header: (name) => headerValue(request, name) }, parsed.dictionaryKeys);
    const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(found.publicKey) }, format: 'jwk' });
    const key = directoryKeyRecord({
      id: `agent:${origin}#${found.thumbprint}`,
      consumerId: `agent:${origin}`,
      publicKey: found.publicKey,
      thumbprint: found.thumbprint,
      label: 'web-bot-auth',
      scopes: config.webBotAuthScopes,
    });
    if (!(await checkSignature({ signingInput: base, signature: parsed.signature }, { key, keyObject }, undefined, deps.onThreadPool))) {
      throw invalidToken('agent signature does not verify');
    }

    // The agent is proven from here on.
    const { created, expires, nonce } = parsed.params;
    if (created === undefined || expires === undefined) {
      const missing = [created === undefined ? 'created' : '', expires === undefined ? 'expires' : ''].filter((name) => name !== '');
      throw new SignetError('invalid_token', { detail: `The agent signature lacks ${missing.join(', ')}.`, privateDetail: 'agent created/expires missing', extra: { missing_parameters: missing } });
    }
    const nowMs = clock.now();
    checkTiming(rules, { iat: created, exp: expires }, rules.maxTokenLifetimeSeconds, nowMs, { what: 'signature', iat: 'created', exp: 'expires' });
    const uncovered = AGENT_COMPONENTS.filter((name) => !parsed.components.includes(name));
    if (uncovered.length > 0) {
      const mismatches: BindingMismatch[] = uncovered.map((name) => ({ claim: name, expected: 'covered by the signature', received: 'not covered' }));
      throw new SignetError('binding_mismatch', { detail: `The agent signature does not cover ${uncovered.join(', ')}.`, extra: { mismatches, missing_components: uncovered } });
    }
    if (!config.webBotAuthMethods.includes(request.method)) {
      throw new SignetError('insufficient_scope', {
        detail: `Agents may use ${config.webBotAuthMethods.join(', ') || 'no method'} only: an agent signature does not bind the method, path or body.`,
        extra: { allowed_methods: config.webBotAuthMethods },
      });
    }
    if (nonce !== undefined) {
      if (!AGENT_NONCE.test(nonce)) throw new SignetError('invalid_token', { detail: 'The agent nonce must be 22 to 256 base64 characters.', privateDetail: 'agent nonce malformed' });
      // Namespaced by agent origin and key: agents never share entries with registered keys.
      const verdict = await replay.checkAndSet(key.id, nonce, replayExpiryMs({ exp: expires }, rules.clockSkewSeconds), created * 1000);
      if (verdict === 'replayed') throw new SignetError('token_replayed', { detail: 'This agent nonce was already used.' });
    }
    const claims: RequestClaims = { method: request.method, url: targetUri, body_sha256: EMPTY_BODY_SHA256, aud: rules.audience, iat: created, exp: expires, jti: nonce ?? '' };
    return { consumer: agentConsumer(origin), key, mode: 'ed25519', claims, presigned: false, format: 'rfc9421', agent: { origin, keyid: parsed.params.keyid } };
  };
}

/** An agent as the rate limiter and usage log see it: a consumer named by its origin, on the default plan. */
function agentConsumer(origin: string): ConsumerRecord {
  return { id: `agent:${origin}`, name: origin, status: 'active', plan: null, rateLimitOverrides: null, metadata: {}, allowedModes: ['ed25519'], createdAt: 0, updatedAt: 0 };
}
