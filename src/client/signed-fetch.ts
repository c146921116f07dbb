import { SignetError } from '../protocol/errors.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, type RequestClaims } from '../protocol/format.js';
import { discoverServer, type DiscoveredSettings } from './discovery.js';
import { bufferBody, DEFAULT_MAX_BODY_BYTES, type JsonBody } from './body.js';
import { clockSkewServerTime, createCorrectedClock, retryOnceOnClockSkew, type CorrectedClock } from './clock-offset.js';
import { isProblemResponse, SignetResponseError } from './errors.js';
import { signToHeaders, type RequestFormat } from './request-format.js';
import { toSigningKey, type ClientKey } from './signing-key.js';

export interface SignedFetchOptions {
  /** Relative URLs resolve against this, as `new URL(path, baseUrl)` does. */
  baseUrl?: string;
  key: ClientKey;
  kid: string;
  /** The fetch to send with (default: the global fetch). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Local clock in epoch milliseconds (default Date.now). The learnt offset is added to it. */
  now?: () => number;
  /**
   * A corrected clock shared with other signers (for example a second token signed over the same
   * request): the offset this fetch learns is theirs too. When given, `now` is not used.
   */
  clock?: CorrectedClock;
  /** Token lifetime in seconds (default 60; the server's maximum applies). */
  lifetimeSeconds?: number;
  /** Defaults to the URL's origin, which is the server's default audience. */
  audience?: string;
  /** Largest body buffered for signing (default DEFAULT_MAX_BODY_BYTES, 8 MiB). */
  maxBodyBytes?: number;
  /** Correct the clock from the server's time and retry once on a clock-skew refusal (default true). */
  retryOnClockSkew?: boolean;
  /** Default `jws` (Authorization: Signet); `rfc9421` signs RFC 9421 message signatures (docs/rfc9421.md). */
  format?: RequestFormat;
  /** Called with the claims of every token signed (diagnostics: `signet request --explain`). */
  onSigned?: (claims: RequestClaims, kid: string) => void;
  /**
   * Before the first request, read GET /.well-known/signet from the target's origin (or baseUrl):
   * take the server's audience (unless `audience` is set), keep the lifetime within its maximum and
   * correct the clock from its time, so even the first request is signed right (default false).
   */
  discover?: boolean;
}

/** RequestInit whose body may also be a plain object or array, sent as JSON. */
export type SignedRequestInit = Omit<RequestInit, 'body'> & { body?: RequestInit['body'] | Uint8Array | JsonBody };

export interface SignedFetch {
  (input: string | URL | Request, init?: SignedRequestInit): Promise<Response>;
  /** Milliseconds added to the local clock, learnt from the server's time after a clock-skew refusal. */
  readonly clockOffsetMs: number;
}

interface Prepared {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
  rest: RequestInit;
}

async function prepare(input: string | URL | Request, init: SignedRequestInit, baseUrl: string | undefined): Promise<Prepared> {
  const { body: initBody, headers: initHeaders, method: initMethod, ...rest } = init;
  let target: string;
  let method = initMethod;
  let headers = new Headers(initHeaders);
  let body: unknown = initBody;
  if (typeof Request !== 'undefined' && input instanceof Request) {
    target = input.url;
    method ??= input.method;
    if (initHeaders === undefined) headers = new Headers(input.headers);
    if (initBody === undefined && input.body !== null) body = new Uint8Array(await input.arrayBuffer());
    rest.signal ??= input.signal;
    rest.redirect ??= input.redirect;
    rest.credentials ??= input.credentials;
  } else {
    target = String(input);
  }
  let url: URL;
  try {
    url = new URL(target, baseUrl);
  } catch {
    throw new SignetError('invalid_request', {
      detail: baseUrl === undefined ? `"${target}" is not an absolute URL and no baseUrl is set.` : `Cannot resolve "${target}" against ${baseUrl}.`,
    });
  }
  // fetch never sends a fragment; the signed URL must not carry one either.
  url.hash = '';
  return { url: url.href, method: (method ?? 'GET').toUpperCase(), headers, body, rest };
}

/** A fresh, exactly-sized copy, so no transport sends bytes around a view of a larger buffer. */
function exactBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/**
 * A drop-in `fetch` that signs every request. It returns the Response for every answer except a
 * Signet refusal: a 401 or 403 `application/problem+json` body with a Signet `code`, which it
 * throws as a SignetResponseError (code, detail, requestId, mismatches). On `token_expired` or
 * `token_issued_in_future` it first learns the clock offset from the problem's `server_time`,
 * re-signs with a fresh `jti` and retries once.
 */
export function createSignedFetch(options: SignedFetchOptions): SignedFetch {
  const key = toSigningKey(options.key);
  const send = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const clock = options.clock ?? createCorrectedClock(options.now);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const retryOnClockSkew = options.retryOnClockSkew !== false;
  /** The local clock without the learnt offset: discovery measures the offset afresh. */
  const localNow = () => clock.now() - clock.offsetMs;
  let discovered: Promise<DiscoveredSettings> | undefined;

  async function signedFetch(input: string | URL | Request, init: SignedRequestInit = {}): Promise<Response> {
    const request = await prepare(input, init, options.baseUrl);
    let audience = options.audience;
    let lifetimeSeconds = options.lifetimeSeconds;
    if (options.discover === true) {
      // Once per client; a failed discovery is tried again on the next call rather than remembered.
      discovered ??= discoverServer(new URL(options.baseUrl ?? request.url).origin, send, localNow).then(
        (settings) => {
          clock.adopt(settings.clockOffsetMs);
          return settings;
        },
        (error: unknown) => {
          discovered = undefined;
          throw error;
        },
      );
      const settings = await discovered;
      audience ??= settings.audience;
      lifetimeSeconds = Math.min(lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS, settings.maxTokenLifetimeSeconds);
    }
    const { bytes, contentType } = await bufferBody(request.body, maxBodyBytes);
    if (contentType !== undefined && !request.headers.has('content-type')) request.headers.set('content-type', contentType);
    const body = bytes === undefined ? undefined : exactBytes(bytes);
    const answer = await retryOnceOnClockSkew(
      clock,
      async (nowMs) => {
        const signed = await signToHeaders(
          {
            method: request.method,
            url: request.url,
            ...(body !== undefined ? { body } : {}),
            key,
            kid: options.kid,
            now: nowMs,
            ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}),
            ...(audience !== undefined ? { audience } : {}),
          },
          { format: options.format ?? 'jws' },
        );
        options.onSigned?.(signed.claims, options.kid);
        for (const [name, value] of Object.entries(signed.headers)) request.headers.set(name, value);
        const response = await send(request.url, { ...request.rest, method: request.method, headers: request.headers, ...(body !== undefined ? { body } : {}) });
        return { response, refusal: await signetRefusal(response) };
      },
      ({ refusal }) => (retryOnClockSkew && refusal !== undefined ? clockSkewServerTime(refusal.httpStatus, refusal.problem) : undefined),
    );
    if (answer.refusal !== undefined) throw answer.refusal;
    return answer.response;
  }

  Object.defineProperty(signedFetch, 'clockOffsetMs', { get: () => clock.offsetMs, enumerable: true });
  return signedFetch as SignedFetch;
}

/** A Signet authentication refusal (401/403 problem with a Signet code), or undefined. */
async function signetRefusal(response: Response): Promise<SignetResponseError | undefined> {
  if ((response.status !== 401 && response.status !== 403) || !isProblemResponse(response)) return undefined;
  const error = await SignetResponseError.fromResponse(response.clone());
  if (error === undefined) return undefined;
  // The body was read through a clone; release the original's.
  await response.body?.cancel().catch(() => undefined);
  return error;
}
