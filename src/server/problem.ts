import type { Context } from 'koa';
import { ERROR_CODES, SignetError } from '../protocol/errors.js';

export const PROBLEM_TYPE_PREFIX = 'urn:signet:problem:';

/**
 * Writes an RFC 9457 problem body for a SignetError: the stable code, the public detail, the
 * request id and the server's time (so a client can correct its clock). The private detail is
 * never part of it.
 */
export function writeProblem(ctx: Context, error: SignetError, nowMs: number): void {
  ctx.status = error.status;
  ctx.type = 'application/problem+json';
  ctx.set(error.headers);
  ctx.body = {
    ...error.extra,
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: ERROR_CODES[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    request_id: ctx.state.requestId,
    server_time: Math.floor(nowMs / 1000),
  };
}
