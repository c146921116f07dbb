import type { Context } from 'koa';
import { Stream } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import type { SignetMetrics } from '../metrics.js';
import type { UsageRecorder } from '../usage/recorder.js';
import type { VerifiedRequest } from '../verifier.js';

export interface ObserveDeps {
  usage: UsageRecorder;
  metrics: SignetMetrics | undefined;
  logger: Logger;
  /** Write the per-request access line (level info); when the level hides it, it is not even built. */
  accessLog: boolean;
}

function problemCode(body: unknown): string | undefined {
  const code = (body as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The size of the response body. Koa's `response.length` serialises a JSON body just to measure
 * it, and serialises it again when it sends it; serialising it once here (the content type is
 * already set, so it stays JSON) makes the measurement free.
 */
function responseBytes(ctx: Context): number {
  const body: unknown = ctx.body;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof Stream)) {
    const text = JSON.stringify(body);
    ctx.body = text;
    return Buffer.byteLength(text);
  }
  return ctx.response.length ?? 0;
}

/** Called with every finished response, the time it started (clock) and its start on the monotonic clock (ms). */
export type ResponseObserver = (ctx: Context, at: number, startedMs: number) => void;

/**
 * Sees every finished response (the front middleware calls it outside the error answer, so
 * refusals arrive as their final status): counts it in the metrics, hands authenticated ones to the
 * usage buffer, and writes one access-log line. The log line names the route and the path only:
 * the query (which may hold a presigned token) and the headers (which hold the signature) are
 * never logged.
 */
export function responseObserver(deps: ObserveDeps): ResponseObserver {
  const { usage, metrics, logger, accessLog } = deps;
  return function observeResponse(ctx, at, startedMs) {
    const latencyMs = performance.now() - startedMs;
    const auth = ctx.state.auth as VerifiedRequest | undefined;
    const status = ctx.status;
    const code = status >= 400 ? (problemCode(ctx.body) ?? `http_${status}`) : 'ok';
    const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
    const bytesIn = (ctx.state.rawBody as Buffer | undefined)?.length ?? 0;
    const bytesOut = responseBytes(ctx);
    metrics?.countResponse(code, auth?.mode ?? 'none', auth?.format);
    if (auth !== undefined) {
      usage.record({
        at,
        consumerId: auth.consumer.id,
        keyId: auth.key.id,
        mode: auth.mode,
        format: auth.format,
        method: ctx.method,
        route: typeof route === 'string' ? route : ctx.path,
        status,
        latencyMs,
        bytesIn,
        bytesOut,
      });
    }
    if (!accessLog) return;
    logger.info(
      {
        request_id: ctx.state.requestId,
        method: ctx.method,
        path: ctx.path,
        route: typeof route === 'string' ? route : null,
        status,
        code,
        consumer_id: auth?.consumer.id ?? null,
        key_id: auth?.key.id ?? null,
        mode: auth?.mode ?? null,
        format: auth?.format ?? null,
        latency_ms: Math.round(latencyMs * 1000) / 1000,
        bytes_in: bytesIn,
        bytes_out: bytesOut,
      },
      'request',
    );
  };
}
