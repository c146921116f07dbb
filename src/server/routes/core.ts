import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { createHash } from 'node:crypto';
import type { SignetState } from '../state.js';
import type { ServerContext } from '../context.js';
import { authenticate, authenticated } from '../middleware/authenticate.js';

export interface CoreRoutes {
  router: Router<SignetState>;
  /**
   * The signed routes every client calls (GET /v1/whoami, POST /v1/echo) for exactly that method
   * and path, answered without the router, which matches every route against the path and composes
   * a new middleware chain for every request. Anything else (HEAD, a trailing slash, another
   * case, another method) goes on to `router`, where the same routes are mounted.
   */
  exact: Middleware<SignetState>;
}

/** The built-in routes: identity, echo, liveness and readiness. */
export function coreRoutes(server: ServerContext): CoreRoutes {
  const router = new Router<SignetState>();
  const signed = authenticate(server.verify);

  const whoami = (ctx: ParameterizedContext<SignetState>): void => {
    const { consumer, key, mode, format } = ctx.state.auth;
    ctx.body = { consumer_id: consumer.id, consumer_name: consumer.name, key_id: key.id, mode, format, scopes: key.scopes, allowed_modes: consumer.allowedModes };
  };
  router.get('/v1/whoami', signed, whoami);

  const echo = (ctx: ParameterizedContext<SignetState>): void => {
    const body = ctx.state.rawBody;
    ctx.body = {
      body: body.toString('utf8'),
      body_sha256: createHash('sha256').update(body).digest('base64url'),
      length: body.length,
      consumer_id: ctx.state.auth.consumer.id,
    };
  };
  router.post('/v1/echo', signed, echo);

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

  // Composed once: authentication then the handler, with no `next` made per request.
  const exact = new Map<string, { method: string; route: Middleware<SignetState> }>([
    ['/v1/whoami', { method: 'GET', route: authenticated(server.verify, whoami) }],
    ['/v1/echo', { method: 'POST', route: authenticated(server.verify, echo) }],
  ]);
  return {
    router,
    exact: function exactCoreRoute(ctx, next) {
      const path = ctx.path;
      const found = exact.get(path);
      if (found === undefined || found.method !== ctx.method) return next();
      // What the router would have set: the usage record and the access log name the route by it.
      (ctx as { _matchedRoute?: string })._matchedRoute = path;
      return found.route(ctx, next);
    },
  };
}
