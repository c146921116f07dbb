import type { Middleware } from 'koa';
import { performance } from 'node:perf_hooks';
import type { SignetState } from '../state.js';
import { answerFailure, refuseUnanswered, type ErrorAnswerDeps } from './errors.js';
import type { ResponseObserver } from './observe.js';
import { writeRateLimitHeaders } from './rate-limit-headers.js';
import { assignRequestId } from './request-id.js';

/**
 * The outermost layer of every request, in one async frame: the request id, the RateLimit headers,
 * the problem answer for anything thrown, and the observation of the final answer (metrics, usage,
 * access log). As four middleware these cost four trips through koa-compose and three awaits per
 * request. Their order is kept: the RateLimit headers are written before the problem answer (which
 * may add its own), and the observer sees the response as it will be sent. Without an observer
 * (no metrics, no usage, no access log) nothing is timed.
 */
export function front(deps: ErrorAnswerDeps & { observe?: ResponseObserver }): Middleware<SignetState> {
  const { clock, observe } = deps;
  return async function frontMiddleware(ctx, next) {
    assignRequestId(ctx);
    const at = observe === undefined ? 0 : clock.now();
    const startedMs = observe === undefined ? 0 : performance.now();
    try {
      try {
        await next();
      } catch (error) {
        writeRateLimitHeaders(ctx, error);
        throw error;
      }
      writeRateLimitHeaders(ctx);
      refuseUnanswered(ctx);
    } catch (caught) {
      answerFailure(ctx, caught, deps);
    }
    observe?.(ctx, at, startedMs);
  };
}
