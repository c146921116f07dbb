import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRawBody } from '../server/middleware/raw-body.js';
import type { ProblemAnswer } from '../server/problem.js';
import type { AdmittedRequest } from '../server/rate-limit/admission.js';
import { clientAddressOf } from './client-address.js';
import type { RouteRules, VerifierHandle } from './verify-request.js';

/** What the node:http and Express adapters leave on the request they let through. */
export interface SignetRequestFields {
  /** The verified consumer, key, mode, claims and rate-limit state. */
  signet?: AdmittedRequest;
  /** The exact body bytes that were verified (the stream has been read). */
  rawBody?: Buffer;
}

/** The node:http adapter's rules: a route's scopes, and where the client address comes from. */
export interface NodeRouteRules extends RouteRules {
  /**
   * Peer addresses of your reverse proxies. From them, the client address of the per-address failure
   * gate is the X-Forwarded-For entry they added (or X-Real-IP); from anyone else, the TCP peer.
   * Default: none (the TCP peer always), like Express's `trust proxy` off.
   */
  trustedProxies?: readonly string[];
}

export function sendProblem(res: ServerResponse, refused: ProblemAnswer): void {
  const text = JSON.stringify(refused.body);
  res.writeHead(refused.status, { ...refused.headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Verifies a Node request: reads its body within the limit, answers a refusal itself and returns
 * false, or sets `req.signet` and `req.rawBody`, the response headers and the usage record at
 * the end of the response, and returns true.
 */
export async function admitNodeRequest(
  signet: VerifierHandle,
  req: IncomingMessage & SignetRequestFields,
  res: ServerResponse,
  rules: NodeRouteRules = {},
  clientAddress: string = clientAddressOf(req.socket.remoteAddress, req.headers, new Set(rules.trustedProxies ?? [])),
): Promise<boolean> {
  const { trustedProxies: _, ...routeRules } = rules;
  const verdict = await signet.verifyRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: (limit) => readRawBody(req, limit), clientAddress }, routeRules);
  if (!verdict.ok) {
    sendProblem(res, verdict);
    return false;
  }
  for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
  req.signet = verdict.auth;
  req.rawBody = Buffer.from(verdict.body.buffer, verdict.body.byteOffset, verdict.body.byteLength);
  res.once('finish', () => verdict.finish({ status: res.statusCode }));
  return true;
}

export type NodeHandler = (req: IncomingMessage & SignetRequestFields, res: ServerResponse) => unknown;

/** Wraps a node:http request handler: it runs only for verified requests. */
export function withSignet(signet: VerifierHandle, handler: NodeHandler, rules: NodeRouteRules = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const proxies = new Set(rules.trustedProxies ?? []);
  return (req, res) => {
    admitNodeRequest(signet, req, res, rules, clientAddressOf(req.socket.remoteAddress, req.headers, proxies)).then(
      (admitted) => (admitted ? handler(req, res) : undefined),
      (error: unknown) => res.destroy(error as Error),
    );
  };
}

export type { RouteRules, VerifierHandle } from './verify-request.js';
