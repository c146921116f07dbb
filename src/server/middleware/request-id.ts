import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { SignetState } from '../state.js';

/** Gives the request an id, echoed in `Request-Id` and in every problem body and log line. */
export function assignRequestId(ctx: Context): void {
  const id = randomUUID();
  ctx.state.requestId = id;
  ctx.set('Request-Id', id);
}

/** assignRequestId as a middleware, for host apps that mount Signet's middleware themselves. */
export function requestId(): Middleware<SignetState> {
  // Not async: it has nothing to do after the rest, so it hands back the rest's promise as it is.
  return function requestIdMiddleware(ctx, next) {
    assignRequestId(ctx);
    return next();
  };
}
