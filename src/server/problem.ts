import type { Context } from 'koa';
import { ERROR_CODES, SignetError } from '../protocol/errors.js';

export const PROBLEM_TYPE_PREFIX = 'urn:signet:problem:';

/** An RFC 9457 problem answer, independent of any web framework. */
export interface ProblemAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The RFC 9457 problem answer for a SignetError: the stable code, the public detail, the request id
 * and the server's time (so a client can correct its clock), with the error's own headers
 * (WWW-Authenticate on a 401). The private detail is never part of it.
 */
export function problemFor(error: SignetError, requestId: string | undefined, nowMs: number): ProblemAnswer {
  return {
    status: error.status,
    headers: { ...error.headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: {
      ...error.extra,
      type: PROBLEM_TYPE_PREFIX + error.code,
      title: ERROR_CODES[error.code].title,
      status: error.status,
      code: error.code,
      detail: error.detail,
      request_id: requestId,
      server_time: Math.floor(nowMs / 1000),
    },
  };
}

/** Writes the problem answer for a SignetError on a Koa context. */
export function writeProblem(ctx: Context, error: SignetError, nowMs: number): void {
  const answer = problemFor(error, ctx.state.requestId as string | undefined, nowMs);
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = answer.body;
}
