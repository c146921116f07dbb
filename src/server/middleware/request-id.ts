import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { SignetState } from '../state.js';

/** Gives every request an id, echoed in `Request-Id` and in every problem body and log line. */
export function requestId(): Middleware<SignetState> {
  return async function requestIdMiddleware(ctx, next) {
    ctx.state.requestId = randomUUID();
    ctx.set('Request-Id', ctx.state.requestId);
    await next();
  };
}
