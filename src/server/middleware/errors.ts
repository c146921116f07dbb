import type { Context, Middleware } from 'koa';
import type { Clock } from '../../clock.js';
import { SignetError } from '../../protocol/errors.js';
import { isDatabaseUnavailable } from '../../store/outage.js';
import type { Logger } from '../logger.js';
import type { OutageLog } from '../outage-log.js';
import { writeProblem } from '../problem.js';
import type { SignetState } from '../state.js';

function fromHttpError(error: unknown): SignetError | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 404) return new SignetError('not_found');
  if (status === 405) return new SignetError('method_not_allowed');
  if (status === 413) return new SignetError('payload_too_large');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new SignetError('invalid_request', { privateDetail: String((error as Error).message) });
  }
  return undefined;
}

/** The database is down, unreachable or overloaded: the request may succeed later, so 503, not 500. */
function fromOutage(error: unknown): SignetError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return new SignetError('service_unavailable', {
    detail: 'The database is unavailable right now; retry in a few seconds.',
    privateDetail: `database: ${String((error as Error | null)?.message ?? error)}`,
    cause: error,
  });
}

/** Any failure as a SignetError: HTTP errors and database outages keep their meaning, anything else is a 500. */
export function toSignetError(caught: unknown): SignetError {
  return caught instanceof SignetError ? caught : (fromHttpError(caught) ?? fromOutage(caught) ?? new SignetError('internal_error', { cause: caught }));
}

/**
 * The client hung up before its request was complete (Node's request stream fails with "aborted",
 * code ECONNRESET). That code also means "the database went away" when a driver raises it, so the
 * request's own state is checked first: a client leaving is not an outage.
 */
function fromClientAbort(ctx: Context, error: unknown): SignetError | undefined {
  const e = error as { code?: unknown; message?: unknown } | null;
  const streamAborted = e?.code === 'ECONNRESET' && e.message === 'aborted';
  if (!ctx.req.readableAborted && !streamAborted) return undefined;
  return new SignetError('invalid_request', { detail: 'The client closed the connection before the request was complete.', privateDetail: 'client closed the connection mid-request' });
}

export interface ErrorAnswerDeps {
  clock: Clock;
  logger: Logger;
  outages?: OutageLog;
}

/**
 * A request nothing answered: the router's 501 for a method it does not implement at all
 * (PROPFIND, TRACE...) is the client's mistake, not a server failure, so it becomes a 405 (or a
 * 404 where no route has this path); a 404 or 405 without a body becomes the problem answer.
 */
export function refuseUnanswered(ctx: Context): void {
  if (ctx.body !== undefined) return;
  if (ctx.status === 501) ctx.status = ctx.response.get('Allow') === '' ? 404 : 405;
  if (ctx.status === 404) throw new SignetError('not_found', { detail: `No route for ${ctx.method} ${ctx.path}.` });
  if (ctx.status === 405) throw new SignetError('method_not_allowed', { detail: `${ctx.method} is not allowed here; use ${ctx.response.get('Allow')}.` });
}

/**
 * Answers a failure with a problem body with a stable code. Unknown errors become a generic 500
 * whose cause is logged, never shown. Refusals because a dependency is down (503) go to the outage
 * log, which writes one line per interval with counts rather than one per request.
 */
export function answerFailure(ctx: Context, caught: unknown, deps: ErrorAnswerDeps): void {
  const error = caught instanceof SignetError ? caught : (fromHttpError(caught) ?? fromClientAbort(ctx, caught) ?? fromOutage(caught) ?? new SignetError('internal_error', { cause: caught }));
  const log = { request_id: ctx.state.requestId, code: error.code, status: error.status, reason: error.privateDetail };
  if (error.status === 503 && deps.outages !== undefined) deps.outages.note(error.code, error.privateDetail);
  else if (error.status >= 500) deps.logger.error({ ...log, err: error.cause ?? error }, 'request failed');
  else deps.logger.info(log, 'request refused');
  writeProblem(ctx, error, deps.clock.now());
}

/** Maps every failure to a problem body (answerFailure), and a request nothing answered to a 404 or 405 (refuseUnanswered). */
export function errorHandler(deps: ErrorAnswerDeps): Middleware<SignetState> {
  return async function errorMiddleware(ctx, next) {
    try {
      await next();
      refuseUnanswered(ctx);
    } catch (caught) {
      answerFailure(ctx, caught, deps);
    }
  };
}
