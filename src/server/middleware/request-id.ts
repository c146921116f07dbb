import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { SignetState } from '../state.js';

/** Gives every request an id, echoed in `Request-Id` and in every problem body and log line. */
export function requestId(): Middleware<SignetState> {
  // Not async: it has nothing to do after the rest, so it hands back the rest's promise as it is.
  return function requestIdMiddleware(ctx, next) {
    ctx.state.requestId = randomUUID();
    ctx.set('Request-Id', ctx.state.requestId);
    return next();
  };
}
