import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDictionary } from 'structured-headers';
import { clientAddressOf, plainAddress } from '../adapters/client-address.js';
import { sendProblem } from '../adapters/node.js';
import type { RequestVerifier } from '../adapters/verify-request.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { encodeBase64url } from '../protocol/base64url.js';
import { isErrorCode, SignetError } from '../protocol/errors.js';
import type { Logger } from '../server/logger.js';
import { toSignetError } from '../server/middleware/errors.js';
import { problemFor, type ProblemAnswer } from '../server/problem.js';
import { identityHeaders } from './identity-headers.js';
import { safePath } from './path-safety.js';
import type { RouteTable } from './routes-file.js';

export interface ForwardAuthDeps {
  config: Pick<Config, 'forwardAuthTrustedProxies' | 'forwardAuthBody'>;
  verifyRequest: RequestVerifier;
  routes: RouteTable;
  clock: Clock;
  logger: Logger;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Where a proxy asks for the problem of a refusal it was told about (nginx, whose auth_request
 * cannot pass statuses other than 2xx, 401 and 403). Reserved on the forward-auth port.
 */
const REFUSAL_PATH = '/_signet/refusal';

/** Set by the proxy (`Signet-Refuse-As: 401`): answer every refusal as 401, the real outcome in Signet-Status and Signet-Error-Code. */
const REFUSE_AS = 'signet-refuse-as';
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECONDS = /^\d{1,9}$/;

/**
 * A refusal as this proxy wants it. Signet-Status and Signet-Error-Code always say what it was; a
 * proxy that asked (nginx, which turns any auth answer but 2xx, 401 and 403 into its own 500) gets
 * it as a 401 it passes on to its error page, which asks REFUSAL_PATH for the real problem.
 */
function sendRefusal(req: IncomingMessage, res: ServerResponse, refused: ProblemAnswer): void {
  const outcome = { 'Signet-Status': String(refused.status), 'Signet-Error-Code': String(refused.body.code) };
  const as401 = first(req.headers[REFUSE_AS]) === '401';
  sendProblem(res, { ...refused, status: as401 ? 401 : refused.status, headers: { ...refused.headers, ...outcome } });
}

/**
 * The problem for a code of the closed list, as REFUSAL_PATH answers it: the code's own status,
 * title and WWW-Authenticate, plus a Retry-After of digits and a Request-Id of UUID form when the
 * proxy passes them back. Nothing else of the request is echoed, nothing is verified and no nonce
 * spent; it can only ever refuse (no code has a 2xx status).
 */
function renderRefusal(req: IncomingMessage, now: number): ProblemAnswer {
  const code = first(req.headers['signet-error-code']);
  if (!isErrorCode(code)) throw new SignetError('invalid_request', { detail: 'Signet-Error-Code names no Signet error code.' });
  const retry = first(req.headers['retry-after']) ?? '';
  const retryAfter = SECONDS.test(retry) ? Number(retry) : undefined;
  const given = first(req.headers['request-id']) ?? '';
  const requestId = REQUEST_ID.test(given) ? given : randomUUID();
  const problem = problemFor(new SignetError(code, retryAfter !== undefined ? { extra: { retry_after: retryAfter } } : {}), requestId, now);
  return { ...problem, headers: { ...problem.headers, 'Request-Id': requestId, ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}) } };
}

/**
 * The original request as the proxy describes it. Traefik and Caddy send X-Forwarded-Method and
 * X-Forwarded-Uri; the nginx configuration of docs/gateway.md sends X-Original-Method and
 * X-Original-URI; Envoy's HTTP ext_authz sends the original method and path as its own.
 */
function originalRequest(req: IncomingMessage): { method: string; target: string; bodyAnnounced: boolean } {
  const h = req.headers;
  const method = first(h['x-forwarded-method']) ?? first(h['x-original-method']) ?? req.method ?? 'GET';
  const target = first(h['x-forwarded-uri']) ?? first(h['x-original-uri']) ?? req.url ?? '/';
  const length = first(h['x-original-content-length']) ?? first(h['x-forwarded-content-length']);
  const chunked = first(h['x-original-transfer-encoding']);
  const bodyAnnounced = (length !== undefined && length !== '' && length !== '0') || (chunked !== undefined && chunked !== '');
  return { method: method.toUpperCase(), target, bodyAnnounced };
}

/** The sha-256 member of an RFC 9530 Content-Digest field, as base64url, or undefined. */
function contentDigestSha256(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(field);
  } catch {
    throw new SignetError('invalid_request', { detail: 'The Content-Digest field is not a valid RFC 9530 dictionary.' });
  }
  const member = dictionary.get('sha-256')?.[0];
  if (!(member instanceof ArrayBuffer)) return undefined;
  const bytes = new Uint8Array(member);
  if (bytes.length !== 32) throw new SignetError('invalid_request', { detail: 'The Content-Digest sha-256 value is not 32 bytes.' });
  return encodeBase64url(bytes);
}

/**
 * Forward-auth: a proxy asks, before forwarding, whether a request may pass. Answers 200 with the
 * identity headers for the proxy to copy upstream, or the problem. The body is never seen here:
 * by default a token must bind an empty body and a request announcing one is refused; with
 * SIGNET_FORWARD_AUTH_BODY=digest the token must bind the body's Content-Digest, which the
 * upstream must check against the body it receives.
 */
export function createForwardAuth(deps: ForwardAuthDeps) {
  const { config, routes, clock, logger } = deps;
  const trusted = new Set(config.forwardAuthTrustedProxies);

  async function check(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = plainAddress(req.socket.remoteAddress);
    if (!trusted.has(peer)) {
      throw new SignetError('invalid_request', { detail: 'Forward-auth answers configured proxies only.', privateDetail: `forward-auth request from untrusted peer ${peer}` });
    }
    if ((req.url ?? '').split('?')[0] === REFUSAL_PATH) return sendProblem(res, renderRefusal(req, clock.now()));
    const original = originalRequest(req);
    const path = safePath(original.target);
    const route = routes.match(original.method, path);
    if (route === undefined) throw new SignetError('not_found', { detail: `No route for ${original.method} ${path}.` });
    if (route.access === 'public') {
      res.writeHead(200, { 'Content-Length': '0' }).end();
      return;
    }
    const digest = config.forwardAuthBody === 'digest' ? contentDigestSha256(first(req.headers['content-digest'])) : undefined;
    if (original.bodyAnnounced && digest === undefined) {
      throw new SignetError('invalid_request', {
        detail:
          config.forwardAuthBody === 'digest'
            ? 'A request with a body needs a Content-Digest sha-256 field that the signature binds.'
            : 'This forward-auth endpoint cannot see request bodies, so it refuses requests that have one; use the Signet gateway for them.',
      });
    }
    const verdict = await deps.verifyRequest(
      {
        method: original.method,
        url: original.target,
        headers: { authorization: first(req.headers.authorization) },
        // The peer is a trusted proxy (checked above): the client is the address it forwards.
        clientAddress: clientAddressOf(peer, req.headers, trusted),
        ...(digest !== undefined ? { bodySha256: digest } : {}),
      },
      { scopes: route.access.scopes, route: route.pattern },
    );
    if (!verdict.ok) return sendRefusal(req, res, verdict);
    res.writeHead(200, { ...verdict.headers, ...identityHeaders(verdict.auth), 'Content-Length': '0' }).end();
    verdict.finish({ status: 200 });
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    // The check request itself has no body worth reading; drain whatever comes.
    req.resume();
    check(req, res).catch((caught: unknown) => {
      const error = toSignetError(caught);
      const requestId = randomUUID();
      logger.info({ request_id: requestId, code: error.code, status: error.status, reason: error.privateDetail }, 'forward-auth refused');
      const problem = problemFor(error, requestId, clock.now());
      sendRefusal(req, res, { ...problem, headers: { ...problem.headers, 'Request-Id': requestId } });
    });
  };
}
