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
    const { consumer, key, mode, format } = ctx.state.auth;
    ctx.body = { consumer_id: consumer.id, consumer_name: consumer.name, key_id: key.id, mode, format, scopes: key.scopes, allowed_modes: consumer.allowedModes };
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

  // Ready means able to answer signed requests: the database and, when configured, Redis both answer.
  router.get('/readyz', async (ctx) => {
    const probe = (ping: Promise<void>) =>
      ping.then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      );
    const shared = server.stores.sharedHealth;
    const [database, redis] = await Promise.all([probe(server.stores.credentials.ping()), shared === undefined ? undefined : probe(shared.ping())]);
    const ready = database === 'ok' && redis !== 'unreachable';
    if (!ready) ctx.status = 503;
    // A replay cache that restarted empty refuses older tokens for a while: reported, not "not ready" (every instance shares it).
    const refusingUntil = server.stores.replay.refusingUntil?.();
    ctx.body = {
      status: ready ? 'ready' : 'not_ready',
      database,
      ...(redis !== undefined ? { redis } : {}),
      ...(refusingUntil !== undefined ? { replay_refusing_until: new Date(refusingUntil).toISOString() } : {}),
      usage: server.usage.health(),
    };
  });

  return router;
}
