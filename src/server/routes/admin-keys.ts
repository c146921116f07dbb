import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { ForceQuery, RevokeBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { authenticate } from '../middleware/authenticate.js';
import { revokeKey } from '../revocation.js';
import type { SignetState } from '../state.js';
import { parseBody, parseQuery } from '../validation.js';
import { keyView } from '../views.js';
import { ADMIN_SCOPE } from '../../protocol/scopes.js';

/** Admin API: any consumer's keys, listed and revoked. */
export function adminKeyRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });
  const store = server.stores.credentials;

  router.get('/consumers/:id/keys', admin, async function listConsumerKeys(ctx) {
    const id = ctx.params.id!;
    if ((await store.getConsumer(id)) === undefined) throw new SignetError('not_found', { detail: `No consumer ${id}.` });
    await server.lastUsed.flush();
    const now = server.clock.now();
    ctx.body = { items: (await store.listKeys(id)).map((key) => keyView(key, now)) };
  });

  router.post('/keys/:kid/revoke', admin, async function adminRevokeKey(ctx) {
    const body = parseBody(ctx, RevokeBody);
    const force = body.force === true || parseQuery(ctx, ForceQuery).force === 'true';
    const found = await store.findKey(ctx.params.kid!);
    if (found === undefined) throw new SignetError('not_found', { detail: `No key ${ctx.params.kid}.` });
    const revoked = await revokeKey(server, ctx, found.key, force);
    ctx.body = keyView(revoked, server.clock.now());
  });

  return router;
}
