import type { Context } from 'koa';
import { isAdmitted, RateLimitRefusal } from '../rate-limit/admission.js';
import { setRateLimitHeaders } from '../rate-limit/headers.js';

/**
 * RateLimit-Policy and RateLimit go on every response to an admitted request (whatever the handler
 * answered, errors included), and on a rate-limit refusal also Retry-After. Called by the front
 * middleware once the rest of the request has run: `error` is what the rest threw, if anything.
 * A refused request keeps its verified identity on `ctx.state.auth`, so usage and logs count it for
 * its consumer.
 */
export function writeRateLimitHeaders(ctx: Context, error?: unknown): void {
  if (error instanceof RateLimitRefusal) {
    ctx.state.auth = error.verified;
    ctx.set('Retry-After', String(error.decision.retryAfterSeconds));
    setRateLimitHeaders(ctx, error.decision.windows);
  } else if (isAdmitted(ctx.state.auth)) {
    setRateLimitHeaders(ctx, ctx.state.auth.rateLimit.windows);
  }
}
