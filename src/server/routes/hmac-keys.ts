import Router from '@koa/router';
import type { Context } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import type { ConsumerRecord } from '../../store/types.js';
import { CreateHmacKeyBody, KeyTypeListQuery } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import type { IssuedHmacKey } from '../secrets/hmac-keys.js';
import type { SignetState } from '../state.js';
import { invalidFields, parseBody, parseQuery } from '../validation.js';
import { consumerView, keyView } from '../views.js';
import { ADMIN_SCOPE, SELF_SERVICE_SCOPE } from '../../protocol/scopes.js';
import { requireScopesHeld } from '../scopes.js';

type Ctx = Context & { state: SignetState; params: Record<string, string> };

/** Issues the key and answers with its secret: the one and only time the secret is shown. */
async function issue(server: ServerContext, ctx: Ctx, consumer: ConsumerRecord, scopes: string[]): Promise<void> {
  const body = parseBody(ctx, CreateHmacKeyBody);
  const now = server.clock.now();
  const notBefore = body.not_before === undefined ? null : Date.parse(body.not_before);
  const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
  if (expiresAt !== null && expiresAt <= Math.max(now, notBefore ?? now)) {
    throw invalidFields('request body', [{ path: 'expires_at', message: 'Must be later than now and than not_before.' }]);
  }
  const issued: IssuedHmacKey = await server.credentials.issueHmacKey(consumer, { label: body.label ?? '', scopes: body.scopes ?? scopes, notBefore, expiresAt }, auditContext(ctx));
  ctx.status = 201;
  // The body holds a secret: no cache anywhere may keep it.
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { key: keyView(issued.key, now), secret: issued.secret };
}

/**
 * HMAC keys (docs/modes.md): the admin issues them for any consumer that allows the hmac mode, a
 * key with the `keys` scope for its own consumer; and the admin's report of the keys of one type
 * across all consumers, with their last use, to drive clients off HMAC.
 */
export function hmacKeyRoutes(server: ServerContext): Router<SignetState>[] {
  const store = server.stores.credentials;

  const adminRouter = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });

  adminRouter.post('/consumers/:id/keys/hmac', admin, async function adminIssueHmacKey(ctx) {
    const consumer = await store.getConsumer(ctx.params.id!);
    if (consumer === undefined) throw new SignetError('not_found', { detail: `No consumer ${ctx.params.id}.` });
    await issue(server, ctx as Ctx, consumer, []);
  });

  adminRouter.get('/keys', admin, async function listKeysOfType(ctx) {
    const query = parseQuery(ctx, KeyTypeListQuery);
    await server.lastUsed.flush();
    const now = server.clock.now();
    const page = await server.stores.hmacSecrets.listKeysOfType({
      type: query.type,
      unrevoked: query.state === 'unrevoked',
      limit: query.limit,
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
    ctx.body = {
      items: page.items.map(({ key, consumer }) => {
        const view = consumerView(consumer);
        return { ...keyView(key, now), consumer: { id: view.id, name: view.name, status: view.status, allowed_modes: view.allowed_modes } };
      }),
      next_cursor: page.nextCursor,
    };
  });

  const selfRouter = new Router<SignetState>({ prefix: '/v1/keys' });
  const selfService = authenticate(server.verify, { scopes: [SELF_SERVICE_SCOPE] });

  selfRouter.post('/hmac', selfService, async function issueOwnHmacKey(ctx) {
    const scopes = parseBody(ctx, CreateHmacKeyBody).scopes ?? ctx.state.auth.key.scopes;
    requireScopesHeld(ctx as Ctx, scopes);
    // Read afresh: the verified consumer may come from the key cache.
    const consumer = (await store.getConsumer(ctx.state.auth.consumer.id)) ?? ctx.state.auth.consumer;
    await issue(server, ctx as Ctx, consumer, scopes);
  });

  return [adminRouter, selfRouter];
}
