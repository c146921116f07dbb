import type { Middleware } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import type { SignetMetrics } from '../metrics.js';
import type { AuthFailureLimiter, FailureSlot } from '../rate-limit/auth-failures.js';
import { setRateLimitHeaders } from '../rate-limit/headers.js';
import type { SignetState } from '../state.js';

/** Health and metrics answers stay available to an address that is turned away. */
const EXEMPT_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const AUTH_FAILURE_POLICY = 'auth_failures';

/**
 * Turns away, with 429 and before the body is read or a token parsed, a client address that has
 * caused too many authentication failures (401s) in the current window. Each request counts as a
 * possible failure while it runs, and as a failure if it ends in a 401 (AuthFailureLimiter). Goes
 * between the error handler and everything that authenticates.
 */
export function authFailureGate(limiter: AuthFailureLimiter, metrics?: SignetMetrics): Middleware<SignetState> {
  return async function authFailureGateMiddleware(ctx, next) {
    if (EXEMPT_PATHS.has(ctx.path)) return next();
    const address = ctx.ip;
    let slot: FailureSlot | undefined;
    try {
      slot = await limiter.admit(address);
    } catch (error) {
      ignoreOutage(error);
    }
    const state = slot?.state;
    if (state?.blocked === true) {
      metrics?.authFailureRefusals.inc();
      ctx.set('Retry-After', String(state.resetSeconds));
      setRateLimitHeaders(ctx, [{ name: AUTH_FAILURE_POLICY, limit: state.limit, windowSeconds: state.windowSeconds, remaining: 0, resetSeconds: state.resetSeconds, exhausted: true }]);
      throw new SignetError('rate_limited', {
        detail: `Too many failed authentications from this address (${state.limit} per ${state.windowSeconds} s); retry in ${state.resetSeconds} s.`,
        privateDetail: `address ${address} blocked after ${state.limit} authentication failures`,
        extra: { policy: AUTH_FAILURE_POLICY, limit: state.limit, window_seconds: state.windowSeconds, retry_after: state.resetSeconds },
      });
    }
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = error instanceof SignetError && error.status === 401;
      throw error;
    } finally {
      const counting = slot?.settle(failed);
      if (counting !== undefined) await counting;
    }
  };
}

/**
 * The counters live in Redis when several instances share them. While it is unreachable the gate
 * steps aside instead of turning every request away: nothing can authenticate then anyway (the
 * replay check needs Redis too and fails closed), and unsigned routes such as /openapi.json keep
 * working. A 401 stays a 401 even if it cannot be counted.
 */
function ignoreOutage(error: unknown): void {
  if (!(error instanceof SignetError && error.code === 'service_unavailable')) throw error;
}
