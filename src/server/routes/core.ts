import Router from '@koa/router';
import { createHash } from 'node:crypto';
import type { SignetState } from '../state.js';
import type { ServerContext } from '../context.js';
import { authenticate } from '../middleware/authenticate.js';

/** The built-in routes: identity, echo, liveness and readiness. */
export function coreRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();
  const signed = authenticate(server.verify);

  router.get('/v1/whoami', signed, (ctx) => {
    const { consumer, key, mode } = ctx.state.auth;
    ctx.body = { consumer_id: consumer.id, consumer_name: consumer.name, key_id: key.id, mode, scopes: key.scopes };
  });

  router.post('/v1/echo', signed, (ctx) => {
    const body = ctx.state.rawBody;
    ctx.body = {
      body: body.toString('utf8'),
      body_sha256: createHash('sha256').update(body).digest('base64url'),
      length: body.length,
      consumer_id: ctx.state.auth.consumer.id,
    };
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    try {
      await server.stores.credentials.ping();
      ctx.body = { status: 'ready', database: 'ok', usage: server.usage.health() };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'not_ready', database: 'unreachable', usage: server.usage.health() };
    }
  });

  return router;
}
