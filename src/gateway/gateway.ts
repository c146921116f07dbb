import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { plainAddress } from '../adapters/client-address.js';
import { sendProblem } from '../adapters/node.js';
import type { Accepted, RequestVerifier } from '../adapters/verify-request.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { SignetError } from '../protocol/errors.js';
import type { Logger } from '../server/logger.js';
import { toSignetError } from '../server/middleware/errors.js';
import { readRawBody } from '../server/middleware/raw-body.js';
import { problemFor } from '../server/problem.js';
import { upstreamFailure, upstreamRequestHeaders } from './forwarding.js';
import { safePath } from './path-safety.js';
import { Relay } from './relay.js';
import type { RouteTable } from './routes-file.js';

export interface GatewayDeps {
  config: Pick<Config, 'publicOrigin' | 'bodyLimitBytes' | 'trustProxy' | 'gatewayUpstreamTimeoutMs' | 'gatewayConnectTimeoutMs'>;
  verifyRequest: RequestVerifier;
  routes: RouteTable;
  /** The upstream API: an http(s) origin, optionally with a base path prefixed to every forwarded path. */
  upstream: URL;
  clock: Clock;
  logger: Logger;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** For the server's 'upgrade' event: WebSocket and other protocol switches are refused with 501. */
  refuseUpgrade(req: IncomingMessage, socket: Duplex): void;
  close(): Promise<void>;
}

/**
 * The reverse proxy: path safety, route lookup, verification (scopes, rate limits, usage) through
 * the one verifier, then the request forwarded unchanged to the upstream over a connection pool,
 * the answer streamed back. Nothing here parses tokens or decides what a signature means.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, routes, upstream, clock, logger } = deps;
  const basePath = upstream.pathname.replace(/\/$/, '');
  const proto = new URL(config.publicOrigin).protocol.replace(':', '');
  const pool = new Pool(upstream.origin, {
    connect: { timeout: config.gatewayConnectTimeoutMs },
    headersTimeout: config.gatewayUpstreamTimeoutMs,
    bodyTimeout: config.gatewayUpstreamTimeoutMs,
  });

  function refuse(res: ServerResponse, error: SignetError, requestId: string = randomUUID()): void {
    const log = { request_id: requestId, code: error.code, status: error.status, reason: error.privateDetail };
    if (error.status >= 500) logger.warn(log, 'gateway request failed');
    else logger.info(log, 'gateway request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const problem = problemFor(error, requestId, clock.now());
    sendProblem(res, { ...problem, headers: { ...problem.headers, 'Request-Id': requestId } });
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Uint8Array, accepted: Accepted | undefined, keepAuthorization: boolean): void {
    const requestId: string = accepted?.requestId ?? randomUUID();
    const headers = upstreamRequestHeaders(req.headers, {
      remoteAddress: req.socket.remoteAddress,
      trustForwardedFor: config.trustProxy,
      proto,
      keepAuthorization,
      identity: accepted?.auth,
      requestId,
    });
    const relay = new Relay(res, accepted?.headers ?? { 'Request-Id': requestId }, (end) => {
      if (end.error === undefined) return accepted?.finish({ status: end.status, bytesOut: end.bytesOut });
      const failure = upstreamFailure(end.error);
      if (!end.headersSent) {
        accepted?.finish({ status: failure.status });
        return refuse(res, failure, requestId);
      }
      logger.warn({ request_id: requestId, reason: failure.privateDetail }, 'gateway response cut short');
      accepted?.finish({ status: end.status, bytesOut: end.bytesOut });
    });
    pool.dispatch({ path: basePath + req.url, method: req.method as Dispatcher.HttpMethod, headers, body: body.length === 0 ? null : body }, relay);
  }

  /**
   * The client as `signet serve` sees it (Koa's ctx.ip): the TCP peer, or with SIGNET_TRUST_PROXY
   * the first X-Forwarded-For entry (so the proxy in front must overwrite that header).
   */
  function clientAddress(req: IncomingMessage): string {
    const peer = plainAddress(req.socket.remoteAddress);
    if (!config.trustProxy) return peer;
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',')[0]!.trim();
    return first !== '' ? first : peer;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = safePath(req.url ?? '');
    const method = req.method ?? 'GET';
    const route = routes.match(method, path);
    if (route === undefined) throw new SignetError('not_found', { detail: `The gateway has no route for ${method} ${path}.` });
    if (route.access === 'public') {
      const body = await readRawBody(req, config.bodyLimitBytes);
      return forward(req, res, body, undefined, true);
    }
    const verdict = await deps.verifyRequest(
      { method, url: req.url ?? '/', headers: req.headers, body: (limit) => readRawBody(req, limit), clientAddress: clientAddress(req) },
      { scopes: route.access.scopes, route: route.pattern },
    );
    if (!verdict.ok) return sendProblem(res, verdict);
    return forward(req, res, verdict.body, verdict, route.forwardAuthorization);
  }

  return {
    handle: (req, res) => {
      handle(req, res).catch((error: unknown) => refuse(res, toSignetError(error)));
    },
    refuseUpgrade: (req, socket) => {
      const problem = problemFor(new SignetError('not_implemented', { detail: `The gateway does not proxy "Upgrade: ${req.headers.upgrade ?? ''}" requests.` }), randomUUID(), clock.now());
      const text = JSON.stringify(problem.body);
      const head = Object.entries({ ...problem.headers, 'Content-Length': String(Buffer.byteLength(text)), Connection: 'close' })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.end(`HTTP/1.1 501 Not Implemented\r\n${head}\r\n\r\n${text}`);
    },
    close: () => pool.close(),
  };
}
