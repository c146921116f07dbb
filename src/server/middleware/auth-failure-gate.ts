import type { Middleware } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import type { SignetMetrics } from '../metrics.js';
import { passAuthFailureGate } from '../rate-limit/auth-failure-check.js';
import type { AuthFailureLimiter } from '../rate-limit/auth-failures.js';
import type { SignetState } from '../state.js';

/** Health and metrics answers stay available to an address that is turned away. */
const EXEMPT_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Turns away, with 429 and before the body is read or a token parsed, a client address that has
 * caused too many authentication failures (401s) in the current window. Each request holds a
 * failure slot while it runs, kept only if it ends in a 401 (AuthFailureLimiter.admit). Goes
 * between the error handler and everything that authenticates.
 */
export function authFailureGate(limiter: AuthFailureLimiter, metrics?: SignetMetrics): Middleware<SignetState> {
  return async function authFailureGateMiddleware(ctx, next) {
    if (EXEMPT_PATHS.has(ctx.path)) return next();
    const passage = await passAuthFailureGate(limiter, ctx.ip, metrics);
    if (passage.refusal !== undefined) {
      ctx.set(passage.refusal.headers);
      throw passage.refusal.error;
    }
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = error instanceof SignetError && error.status === 401;
      throw error;
    } finally {
      await passage.settle(failed);
    }
  };
}
