import Router from '@koa/router';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignetError } from '../../protocol/errors.js';
import type { ServerContext } from '../context.js';
import type { SignetMetrics } from '../metrics.js';
import type { SignetState } from '../state.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * GET /metrics in Prometheus text format. With SIGNET_METRICS_TOKEN set it needs that bearer token;
 * without, it answers only peers on a loopback address (the socket's, never X-Forwarded-For). Anyone
 * else gets the same 404 as for a path that does not exist.
 */
export function metricsRoutes(server: ServerContext, metrics: SignetMetrics): Router<SignetState> {
  const router = new Router<SignetState>();
  const expected = server.config.metricsToken === undefined ? undefined : digest(`Bearer ${server.config.metricsToken}`);

  router.get('/metrics', async function serveMetrics(ctx) {
    const allowed = expected === undefined ? LOOPBACK.test(ctx.req.socket.remoteAddress ?? '') : timingSafeEqual(digest(ctx.get('Authorization')), expected);
    if (!allowed) throw new SignetError('not_found', { detail: `No route for GET ${ctx.path}.`, privateDetail: 'metrics: no valid bearer token, or not a loopback peer' });
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.exposition();
  });

  return router;
}
