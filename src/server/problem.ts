import type { Context } from 'koa';
import { ERROR_CODES, type SignetError } from '../protocol/errors.js';

const PROBLEM_TYPE_PREFIX = 'urn:signet:problem:';

/** An RFC 9457 problem answer, independent of any web framework. */
export interface ProblemAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Writes an RFC 9457 problem body for a SignetError: the stable code, the public detail, the
 * request id and the server's time (so a client can correct its clock). The private detail is
 * never part of it.
 */
export function writeProblem(ctx: Context, error: SignetError, nowMs: number): void {
  ctx.status = error.status;
  ctx.type = 'application/problem+json';
  ctx.set(error.headers);
  ctx.body = problemBody(error, ctx.state.requestId, nowMs);
}

/** The problem body itself, also written outside Koa (src/server/client-errors.ts). */
export function problemBody(error: SignetError, requestId: string | undefined, nowMs: number): Record<string, unknown> {
  return {
    ...error.extra,
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: ERROR_CODES[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    request_id: requestId,
    server_time: Math.floor(nowMs / 1000),
  };
}

/** The whole problem answer (status, the error's own headers such as WWW-Authenticate, body) for answers written outside Koa: adapters, gateway, forward-auth. */
export function problemFor(error: SignetError, requestId: string | undefined, nowMs: number): ProblemAnswer {
  return { status: error.status, headers: { ...error.headers, 'Content-Type': PROBLEM_CONTENT_TYPE }, body: problemBody(error, requestId, nowMs) };
}
