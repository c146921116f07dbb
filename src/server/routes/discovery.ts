import Router from '@koa/router';
import { DISCOVERY_MAX_AGE_SECONDS, DISCOVERY_PATH, discoveryDocument } from '../../protocol/discovery.js';
import type { ServerContext } from '../context.js';
import type { SignetState } from '../state.js';

/**
 * GET /.well-known/signet: public settings a client configures itself from, and the server's
 * time so it can correct its clock before its first signed request. Nothing in it is secret, so
 * any origin may read it (a browser client on another origin too); cached briefly, since it
 * carries the time (a client adds the Age header a cache gives).
 */
export function discoveryRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();
  const { config, clock } = server;
  router.get(DISCOVERY_PATH, function discover(ctx) {
    ctx.set('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`);
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = discoveryDocument({ ...config, nowMs: clock.now() });
  });
  return router;
}
