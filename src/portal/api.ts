import { clockSkewServerTime, createCorrectedClock, retryOnceOnClockSkew, type CorrectedClock } from '../client/clock-offset.js';
import { jwkThumbprint, type Ed25519KeyPair } from '../client/keys.js';
import { SignetResponseError } from '../client/errors.js';
import { createSignedFetch, type SignedFetch } from '../client/signed-fetch.js';
import { PROOF_HEADER } from '../protocol/format.js';
import { publicKeyToJwk } from '../protocol/public-key.js';
import { signRequest } from '../client/sign.js';
import { humanFieldMessage } from './field-messages.js';
import type { PortalSettings } from './settings.js';

/** A refused or failed call, with the server's field errors by path (`name`, `public_key`, ...). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fields: Readonly<Record<string, string>>,
    readonly problem: Readonly<Record<string, unknown>>,
  ) {
    super(detail);
  }

  static fromProblem(status: number, problem: Record<string, unknown>): ApiError {
    const fields: Record<string, string> = {};
    for (const e of Array.isArray(problem.errors) ? problem.errors : []) {
      if (typeof e?.path === 'string' && typeof e?.message === 'string' && fields[e.path] === undefined) fields[e.path] = humanFieldMessage(e.message);
    }
    const code = typeof problem.code === 'string' ? problem.code : 'error';
    // A validation refusal's detail repeats the validator's wording: say it with the fields' sentences.
    const listed = Object.entries(fields).map(([path, message]) => (path === '' ? message : `${path}: ${message}`));
    const detail =
      code === 'invalid_request' && listed.length > 0
        ? `Some of what was sent is not accepted. ${listed.join(' ')}`
        : typeof problem.detail === 'string'
          ? problem.detail
          : `The server answered ${status}.`;
    return new ApiError(status, code, detail, fields, problem);
  }
}

/** The key the portal signs with: non-extractable, from IndexedDB or a loaded key file. */
export interface PortalKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * Refusals that say the signing key itself is finished: revoked, expired, or unknown to the server
 * (deleted with its consumer; the portal's own signatures are otherwise always well formed).
 */
const DEAD_KEY_CODES = new Set(['key_revoked', 'key_expired', 'invalid_token']);

/** Whether a refusal means the key that signed the call no longer works (not a clock or rate problem). */
function isDeadKeyRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 401 && DEAD_KEY_CODES.has(error.code);
}

/** Told when the server refuses the key a call was signed with as dead (see isDeadKeyRefusal). */
export type DeadKeyListener = (kid: string, error: ApiError) => void;

/** Longest Retry-After the portal waits out by itself before showing a rate-limit refusal. */
const MAX_RATE_LIMIT_WAIT_S = 3;

/**
 * Sends a request to this page's own origin (so `connect-src 'self'` holds) whatever origin it was
 * signed for: the server checks the signed URL against its configured public origin, never the
 * Host header. No cookies, no cache: every call stands on its own signature.
 */
function sameOriginFetch(url: string, init: RequestInit): Promise<Response> {
  const target = new URL(url);
  return fetch(location.origin + target.pathname + target.search, { ...init, credentials: 'omit', cache: 'no-store', redirect: 'error' });
}

async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalid_response', `The server answered ${response.status} with a body that is not JSON.`, {}, {});
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof SignetResponseError) return ApiError.fromProblem(error.httpStatus, { ...error.problem, code: error.problem.code ?? error.code });
  return new ApiError(0, 'network_error', `The server could not be reached (${(error as Error)?.message ?? 'network error'}).`, {}, {});
}

export type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * Every call the portal makes. Signed calls go through the client kit's createSignedFetch (which
 * corrects the clock from the server's time once); key uploads add a Signet-Proof signed by the
 * new key over the same request; enrollment carries only the proof.
 */
export class PortalApi {
  /**
   * Date.now() corrected by what the server's time taught the portal: one clock for the
   * Authorization token, the proof of an upload and an unsigned enrollment alike.
   */
  private readonly clock: CorrectedClock;
  private readonly signedFetch: SignedFetch | undefined;

  constructor(
    readonly settings: PortalSettings,
    readonly key: PortalKey | undefined,
    clock: CorrectedClock = createCorrectedClock(),
    private readonly onDeadKey: DeadKeyListener = () => undefined,
  ) {
    this.clock = clock;
    if (key !== undefined) this.signedFetch = this.makeSignedFetch(key, sameOriginFetch);
  }

  /** The same settings and learnt clock, signing with another key. */
  withKey(key: PortalKey | undefined): PortalApi {
    return new PortalApi(this.settings, key, createCorrectedClock(undefined, this.clock.offsetMs), this.onDeadKey);
  }

  private makeSignedFetch(key: PortalKey, send: (url: string, init: RequestInit) => Promise<Response>): SignedFetch {
    return createSignedFetch({ baseUrl: this.settings.publicOrigin, audience: this.settings.audience, key: key.privateKey, kid: key.kid, clock: this.clock, fetch: send });
  }

  /**
   * A signed JSON call; answers the parsed body, throws ApiError for every non-2xx answer. A page
   * of the portal makes a few calls at once, which can meet a per-second limit: a 429 asking for at
   * most MAX_RATE_LIMIT_WAIT_S is waited out and retried once (a refused request changed nothing).
   */
  async call<T = any>(method: string, path: string, options: { json?: unknown; query?: Query; proof?: Ed25519KeyPair } = {}): Promise<T> {
    try {
      return await this.callWithRetry<T>(method, path, options);
    } catch (error) {
      if (this.key !== undefined && isDeadKeyRefusal(error)) this.onDeadKey(this.key.kid, error);
      throw error;
    }
  }

  private async callWithRetry<T>(method: string, path: string, options: { json?: unknown; query?: Query; proof?: Ed25519KeyPair }): Promise<T> {
    try {
      return await this.callOnce<T>(method, path, options);
    } catch (error) {
      const wait = error instanceof ApiError && error.status === 429 ? Number(error.problem.retry_after) : NaN;
      if (!(wait > 0 && wait <= MAX_RATE_LIMIT_WAIT_S)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      return this.callOnce<T>(method, path, options);
    }
  }

  private async callOnce<T>(method: string, path: string, options: { json?: unknown; query?: Query; proof?: Ed25519KeyPair }): Promise<T> {
    if (this.key === undefined || this.signedFetch === undefined) throw new ApiError(401, 'no_key', 'No key is loaded.', {}, {});
    let signedFetch = this.signedFetch;
    if (options.proof !== undefined) {
      // An upload gets a signed fetch of its own whose transport adds the proof, signed over the
      // same request on the same corrected clock as the Authorization token.
      const proof = options.proof;
      signedFetch = this.makeSignedFetch(this.key, async (url, init) => {
        const headers = new Headers(init.headers);
        headers.set(PROOF_HEADER, await this.proofToken(proof, init.method ?? 'GET', url, init.body as Uint8Array | undefined, this.clock.now()));
        return sameOriginFetch(url, { ...init, headers });
      });
    }
    let response: Response;
    try {
      response = await signedFetch(withQuery(path, options.query), {
        method,
        headers: { accept: 'application/json' },
        ...(options.json !== undefined ? { body: options.json as never } : {}),
      });
    } catch (error) {
      throw toApiError(error);
    }
    const body = await readAnswer(response);
    if (!response.ok) throw ApiError.fromProblem(response.status, (body ?? {}) as Record<string, unknown>);
    return body as T;
  }

  private async proofToken(proof: Ed25519KeyPair, method: string, url: string, body: Uint8Array | undefined, now: number): Promise<string> {
    const signed = await signRequest({
      method,
      url,
      ...(body !== undefined ? { body } : {}),
      key: { type: 'ed25519', privateKey: proof.privateKey },
      kid: await jwkThumbprint(proof.publicKey),
      audience: this.settings.audience,
      now,
    });
    return signed.token;
  }

  /** POST /v1/enroll: no Authorization, only the proof of the new key; one retry after a clock-skew refusal. */
  async enroll<T = any>(input: { code: string; label?: string }, key: Ed25519KeyPair): Promise<T> {
    const url = new URL('/v1/enroll', this.settings.publicOrigin).href;
    const json = { code: input.code, public_key: publicKeyToJwk(key.publicKey), ...(input.label ? { label: input.label } : {}) };
    const body = new TextEncoder().encode(JSON.stringify(json));
    const answer = await retryOnceOnClockSkew(
      this.clock,
      async (nowMs) => {
        let response: Response;
        try {
          const headers = { 'content-type': 'application/json', accept: 'application/json', [PROOF_HEADER]: await this.proofToken(key, 'POST', url, body, nowMs) };
          response = await sameOriginFetch(url, { method: 'POST', headers, body });
        } catch (error) {
          throw toApiError(error);
        }
        return { response, body: (await readAnswer(response)) as Record<string, unknown> | undefined };
      },
      ({ response, body }) => clockSkewServerTime(response.status, body),
    );
    if (!answer.response.ok) throw ApiError.fromProblem(answer.response.status, answer.body ?? {});
    return answer.body as T;
  }
}
