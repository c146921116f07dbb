import type { Middleware, ParameterizedContext } from 'koa';
import { SignetError, invalidToken } from '../../protocol/errors.js';
import type { SignetState } from '../state.js';
import type { VerifiedRequest, Verifier } from '../verifier.js';

export interface AuthenticateOptions {
  /** Scopes the route requires; the key must carry every one of them. */
  scopes?: readonly string[];
}

/**
 * Koa middleware around the verifier: puts the verified consumer and key on `ctx.state.auth`.
 * Needs `ctx.state.rawBody` (Signet's raw-body middleware) to hash the exact body bytes.
 */
export function authenticate(verify: Verifier, options: AuthenticateOptions = {}): Middleware<SignetState> {
  const required = options.scopes ?? [];
  return async function authenticateMiddleware(ctx, next) {
    ctx.state.auth = await verifyCaller(ctx, verify);
    requireScopes(ctx.state.auth, required);
    await next();
  };
}

/**
 * `authenticate` with a route's own handler as the last step, for routes answered without the
 * router: the handler is called directly rather than through a `next` made for each request.
 * Routes that require scopes use `authenticate`.
 */
export function authenticated(verify: Verifier, handler: (ctx: ParameterizedContext<SignetState>) => void): Middleware<SignetState> {
  return async function authenticatedRoute(ctx) {
    ctx.state.auth = await verifyCaller(ctx, verify);
    handler(ctx);
  };
}

/** The checks before the verifier, then the verifier on what the request carries. */
function verifyCaller(ctx: ParameterizedContext<SignetState>, verify: Verifier): ReturnType<Verifier> {
  const rawBody: unknown = ctx.state.rawBody;
  if (!Buffer.isBuffer(rawBody)) {
    throw new SignetError('internal_error', { privateDetail: 'authenticate() runs without the rawBody middleware before it' });
  }
  const headers = ctx.req.headers;
  const authorization = headers.authorization;
  // Node keeps the first of several Authorization headers; a proxy in front may keep the last.
  // Two parties disagreeing about who is calling is refused outright.
  if (authorization !== undefined && authorizationFields(ctx.req.rawHeaders) > 1) throw invalidToken('several Authorization headers');
  return verify({ method: ctx.method, target: ctx.originalUrl, authorization: authorization || undefined, body: rawBody, headers });
}

/**
 * How many Authorization fields the request carried. Counted on the raw header list rather than
 * with `headersDistinct`, which builds an array for every header of every request.
 */
function authorizationFields(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

/** Refuses (403 insufficient_scope) a verified request whose key lacks one of the required scopes. */
export function requireScopes(auth: Pick<VerifiedRequest, 'key'>, required: readonly string[]): void {
  if (required.length === 0) return;
  const missing = required.filter((scope) => !auth.key.scopes.includes(scope));
  if (missing.length > 0) {
    throw new SignetError('insufficient_scope', {
      detail: `This route needs the scope(s) ${missing.join(', ')}.`,
      extra: { required_scopes: required },
    });
  }
}
