import type { Middleware } from 'koa';
import { readRawBody } from '../server/middleware/raw-body.js';
import type { AdmittedRequest } from '../server/rate-limit/admission.js';
import type { RouteRules, VerifierHandle } from './verify-request.js';

/** What the Koa adapter puts on `ctx.state`. */
export interface SignetKoaState {
  /** The verified consumer, key, mode, claims and rate-limit state (also on `ctx.state.auth`). */
  signet: AdmittedRequest;
  auth: AdmittedRequest;
  /** The exact body bytes that were verified. */
  rawBody: Buffer;
}

/**
 * Koa middleware for any host app: verifies the request (reading the body unless an earlier
 * middleware left it on `ctx.state.rawBody`) and answers a refusal itself as problem+json with
 * WWW-Authenticate, whatever error handling the host app has. The per-address failure gate counts
 * by `ctx.ip`: the host app's `app.proxy` decides whether X-Forwarded-For is believed.
 */
export function signetKoa(signet: VerifierHandle, rules: RouteRules = {}): Middleware<SignetKoaState> {
  return async function signetKoaMiddleware(ctx, next) {
    const read = (ctx.state as Partial<SignetKoaState>).rawBody;
    const verdict = await signet.verifyRequest(
      { method: ctx.method, url: ctx.originalUrl, headers: ctx.headers, body: Buffer.isBuffer(read) ? read : (limit) => readRawBody(ctx.req, limit), clientAddress: ctx.ip },
      rules,
    );
    ctx.set(verdict.headers);
    if (!verdict.ok) {
      ctx.status = verdict.status;
      ctx.body = verdict.body;
      return;
    }
    ctx.state.signet = verdict.auth;
    ctx.state.auth = verdict.auth;
    ctx.state.rawBody = Buffer.from(verdict.body.buffer, verdict.body.byteOffset, verdict.body.byteLength);
    try {
      await next();
      verdict.finish({ status: ctx.status });
    } catch (error) {
      verdict.finish({ status: (error as { status?: number }).status ?? 500 });
      throw error;
    }
  };
}

export type { RouteRules, VerifierHandle } from './verify-request.js';
