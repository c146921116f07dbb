import type { Middleware } from 'koa';
import { isAdmitted, RateLimitRefusal } from '../rate-limit/admission.js';
import { setRateLimitHeaders } from '../rate-limit/headers.js';
import type { SignetState } from '../state.js';

/**
 * Writes RateLimit-Policy and RateLimit on every response to an admitted request (whatever the
 * handler answered, errors included), and on a rate-limit refusal also Retry-After. A refused
 * request keeps its verified identity on `ctx.state.auth`, so usage and logs count it for its consumer.
 */
export function rateLimitHeaders(): Middleware<SignetState> {
  return async function rateLimitHeadersMiddleware(ctx, next) {
    try {
      await next();
    } catch (error) {
      if (error instanceof RateLimitRefusal) {
        ctx.state.auth = error.verified;
        ctx.set('Retry-After', String(error.decision.retryAfterSeconds));
        setRateLimitHeaders(ctx, error.decision.windows);
      } else if (isAdmitted(ctx.state.auth)) {
        setRateLimitHeaders(ctx, ctx.state.auth.rateLimit.windows);
      }
      throw error;
    }
    if (isAdmitted(ctx.state.auth)) setRateLimitHeaders(ctx, ctx.state.auth.rateLimit.windows);
  };
}
