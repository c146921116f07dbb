import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import { SignetError } from '../protocol/errors.js';
import { requireScopes } from '../server/middleware/authenticate.js';
import { toSignetError } from '../server/middleware/errors.js';
import { problemFor, type ProblemAnswer } from '../server/problem.js';
import { RateLimitRefusal, type AdmittedRequest } from '../server/rate-limit/admission.js';
import { passAuthFailureGate, type GatePassage } from '../server/rate-limit/auth-failure-check.js';
import { setRateLimitHeaders } from '../server/rate-limit/headers.js';
import type { ServerContext } from '../server/context.js';
import type { VerifiedRequest } from '../server/verifier.js';

/** Request headers as Node gives them (lower-case names) or as a WHATWG `Headers`. */
export type HeaderBag = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What any framework can hand over: nothing framework-specific. */
export interface RequestToVerify {
  method: string;
  /** The request target as received: path and query (a full URL is reduced to its path and query). */
  url: string;
  headers: HeaderBag;
  /**
   * The exact body bytes (a string is taken as UTF-8), or a reader given the body limit (so a body
   * too large is refused with the same problem as any other failure); none means an empty body.
   */
  body?: Uint8Array | string | ((limit: number) => Promise<Uint8Array>);
  /**
   * Instead of `body`: the base64url SHA-256 the body must have. Only for callers that cannot see the
   * body and make something downstream check it (forward-auth with Content-Digest).
   */
  bodySha256?: string;
  /**
   * The client's address (as the framework determined it, behind trusted proxies the forwarded one),
   * for the per-address failure gate (docs/rate-limits.md). Without it the gate cannot count this request.
   */
  clientAddress?: string;
}

export interface RouteRules {
  /** Scopes the key must carry, every one of them. */
  scopes?: readonly string[];
  /** The route name recorded in usage (default: the path). */
  route?: string;
}

/** The request is verified and admitted: serve it, then call `finish` with the answer's status. */
export interface Accepted {
  ok: true;
  requestId: string;
  auth: AdmittedRequest;
  /** The body bytes that were verified. */
  body: Uint8Array;
  /** Request-Id and the rate-limit fields, for the answer. */
  headers: Record<string, string>;
  /** Records usage and metrics for the answer given; call once. */
  finish(response: { status: number; bytesOut?: number }): void;
}

/** The request is refused: answer it with this problem (status, headers, JSON body). */
export interface Refused extends ProblemAnswer {
  ok: false;
  requestId: string;
  error: SignetError;
}

export type Verdict = Accepted | Refused;

/** The one framework-free entry: every adapter, the gateway and forward-auth call it. */
export type RequestVerifier = (request: RequestToVerify, rules?: RouteRules) => Promise<Verdict>;

/** What an adapter needs from a Signet instance (createSignet returns one). */
export interface VerifierHandle {
  verifyRequest: RequestVerifier;
  config: Pick<Config, 'bodyLimitBytes'>;
}

export type VerifierServices = Pick<ServerContext, 'config' | 'clock' | 'logger' | 'verify' | 'usage' | 'metrics'> & Partial<Pick<ServerContext, 'authFailures'>>;

type HeaderFields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Whether every name is already lower-case (Node's `IncomingMessage.headers` always are). */
function lowerCaseNames(headers: HeaderFields): boolean {
  for (const name in headers) if (name !== name.toLowerCase()) return false;
  return true;
}

/**
 * Every header field with a lower-case name, as the verifier reads them (the RFC 9421 format covers
 * any of them). Node's header object is handed over as it is: the verifier only reads it, and a
 * copy per request was a measurable part of the gateway's cost (docs/performance.md, session 6).
 */
export function headerFields(headers: HeaderBag): Readonly<Record<string, string | string[] | undefined>> {
  if (typeof (headers as Headers).get !== 'function' && lowerCaseNames(headers as HeaderFields)) return headers as Readonly<Record<string, string | string[] | undefined>>;
  const fields: Record<string, string | string[] | undefined> = {};
  if (typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, name) => void (fields[name] = value));
    return fields;
  }
  for (const [name, value] of Object.entries(headers as HeaderFields)) fields[name.toLowerCase()] = value as string | string[] | undefined;
  return fields;
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
}

/** Path and query of a request target; a full URL (as WHATWG Request.url gives) loses its origin. */
function targetOf(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export function createRequestVerifier(server: VerifierServices): RequestVerifier {
  const { config, clock, logger, usage, metrics } = server;

  function record(auth: VerifiedRequest, method: string, route: string, status: number, at: number, started: number, bytesIn: number, bytesOut: number, code: string): void {
    metrics?.requests.inc({ outcome: code, mode: auth.mode });
    metrics?.formats.inc({ format: auth.format, mode: auth.mode });
    usage.record({ at, consumerId: auth.consumer.id, keyId: auth.key.id, mode: auth.mode, format: auth.format, method, route, status, latencyMs: performance.now() - started, bytesIn, bytesOut });
  }

  return async function verifyRequest(request, rules = {}) {
    const requestId = randomUUID();
    const at = clock.now();
    const started = performance.now();
    const target = targetOf(request.url);
    const route = rules.route ?? target.split('?')[0]!;
    let body: Uint8Array = EMPTY;
    const headers: Record<string, string> = { 'Request-Id': requestId };
    const collect = { set: (name: string, value: string) => void (headers[name] = value) };
    let gate: GatePassage | undefined;
    try {
      // Before the body is read or the token parsed, as in `signet serve`.
      if (server.authFailures !== undefined && request.clientAddress !== undefined) {
        gate = await passAuthFailureGate(server.authFailures, request.clientAddress, metrics);
        if (gate.refusal !== undefined) {
          Object.assign(headers, gate.refusal.headers);
          throw gate.refusal.error;
        }
      }
      body = typeof request.body === 'function' ? await request.body(config.bodyLimitBytes) : typeof request.body === 'string' ? encoder.encode(request.body) : (request.body ?? EMPTY);
      if (body.length > config.bodyLimitBytes) {
        throw new SignetError('payload_too_large', { detail: `The request body exceeds the limit of ${config.bodyLimitBytes} bytes.` });
      }
      const auth = (await server.verify({
        method: request.method,
        target,
        authorization: headerValue(request.headers, 'authorization') || undefined,
        headers: headerFields(request.headers),
        body,
        ...(request.bodySha256 !== undefined ? { bodySha256: request.bodySha256 } : {}),
      })) as AdmittedRequest;
      setRateLimitHeaders(collect, auth.rateLimit.windows);
      try {
        requireScopes(auth, rules.scopes ?? []);
      } catch (error) {
        record(auth, request.method, route, 403, at, started, body.length, 0, 'insufficient_scope');
        throw error;
      }
      // No gate (none configured, or no client address): no await, so no microtask hop per request.
      if (gate !== undefined) await gate.settle(false);
      let finished = false;
      return {
        ok: true,
        requestId,
        auth,
        body,
        headers,
        finish: ({ status, bytesOut = 0 }) => {
          if (finished) return;
          finished = true;
          record(auth, request.method, route, status, at, started, body.length, bytesOut, status >= 400 ? `http_${status}` : 'ok');
        },
      };
    } catch (caught) {
      const error = toSignetError(caught);
      if (gate !== undefined) await gate.settle(error.status === 401);
      if (error instanceof RateLimitRefusal) {
        headers['Retry-After'] = String(error.decision.retryAfterSeconds);
        setRateLimitHeaders(collect, error.decision.windows);
        record(error.verified, request.method, route, error.status, at, started, body.length, 0, error.code);
      } else if (error.code !== 'insufficient_scope') {
        metrics?.requests.inc({ outcome: error.code, mode: 'none' });
      }
      const log = { request_id: requestId, code: error.code, status: error.status, reason: error.privateDetail };
      if (error.status >= 500) logger.error({ ...log, err: error.cause ?? error }, 'request failed');
      else logger.info(log, 'request refused');
      const problem = problemFor(error, requestId, clock.now());
      return { ok: false, requestId, error, status: problem.status, headers: { ...problem.headers, ...headers }, body: problem.body };
    }
  };
}
