import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { newConsumerId } from '../../protocol/ids.js';
import { ADMIN_SCOPE } from '../../protocol/scopes.js';
import { ConsumerListQuery, CreateConsumerBody, UpdateConsumerBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { parseBody, parseQuery } from '../validation.js';
import { assertKnownPlan } from '../rate-limit/known-plan.js';
import { consumerView } from '../views.js';

function unknownConsumer(id: string): SignetError {
  return new SignetError('not_found', { detail: `No consumer ${id}.` });
}

/** Admin API: consumers. Every route is a signed request by a key with the admin scope. */
export function adminConsumerRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });
  const store = server.stores.credentials;
  const changes = server.credentials;

  /** Disabling or deleting the caller's own consumer would lock every admin key of it out at once. */
  function refuseSelf(ctx: { state: SignetState }, id: string, what: string): void {
    if (ctx.state.auth.consumer.id === id) {
      throw new SignetError('conflict', { detail: `Refusing to ${what} the consumer that signed this request: that would lock you out.` });
    }
  }

  /**
   * A warning (not a refusal) when the name looks like another consumer's: "Acme" and "Асме" with
   * Cyrillic letters are different to the database and the same to an admin reading a list.
   */
  async function lookAlikeWarnings(name: string | undefined, exceptId?: string) {
    if (name === undefined) return {};
    const similar = await store.findLookAlikeConsumer(name, exceptId);
    if (similar === undefined) return {};
    return {
      warnings: [
        {
          code: 'look_alike_name',
          detail: `The name looks like that of consumer ${similar.id} ("${similar.name}"). Check that you meant a new one; a different name avoids mistaking one for the other.`,
          consumer_id: similar.id,
        },
      ],
    };
  }

  router.post('/consumers', admin, async function createConsumer(ctx) {
    const body = parseBody(ctx, CreateConsumerBody);
    assertKnownPlan(server.limiter, body.plan);
    const warnings = await lookAlikeWarnings(body.name);
    const created = await changes.createConsumer(
      {
        id: newConsumerId(),
        name: body.name,
        plan: body.plan ?? null,
        rateLimitOverrides: body.rate_limits ?? null,
        metadata: body.metadata ?? {},
        allowedModes: body.allowed_modes ?? ['ed25519'],
      },
      auditContext(ctx),
    );
    ctx.status = 201;
    ctx.set('Location', `/admin/v1/consumers/${created.id}`);
    ctx.body = { ...consumerView(created), ...warnings };
  });

  router.get('/consumers', admin, async function listConsumers(ctx) {
    const query = parseQuery(ctx, ConsumerListQuery);
    const page = await store.listConsumers(query);
    ctx.body = { items: page.items.map(consumerView), next_cursor: page.nextCursor };
  });

  router.get('/consumers/:id', admin, async function showConsumer(ctx) {
    const consumer = await store.getConsumer(ctx.params.id!);
    if (consumer === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = consumerView(consumer);
  });

  router.patch('/consumers/:id', admin, async function updateConsumer(ctx) {
    const body = parseBody(ctx, UpdateConsumerBody);
    assertKnownPlan(server.limiter, body.plan);
    const signingMode = ctx.state.auth.key.type;
    if (ctx.state.auth.consumer.id === ctx.params.id && body.allowed_modes !== undefined && !body.allowed_modes.includes(signingMode)) {
      throw new SignetError('conflict', { detail: `Refusing to remove ${signingMode} from the consumer that signed this request with an ${signingMode} key: that would lock you out.` });
    }
    const updated = await changes.updateConsumer(
      ctx.params.id!,
      { name: body.name, plan: body.plan, rateLimitOverrides: body.rate_limits, metadata: body.metadata, allowedModes: body.allowed_modes },
      auditContext(ctx),
    );
    if (updated === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = { ...consumerView(updated), ...(await lookAlikeWarnings(body.name, updated.id)) };
  });

  for (const [action, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    router.post(`/consumers/:id/${action}`, admin, async function setConsumerStatus(ctx) {
      const id = ctx.params.id!;
      if (status === 'disabled') refuseSelf(ctx, id, 'disable');
      if (!(await changes.setConsumerStatus(id, status, auditContext(ctx)))) throw unknownConsumer(id);
      ctx.body = consumerView((await store.getConsumer(id))!);
    });
  }

  router.delete('/consumers/:id', admin, async function deleteConsumer(ctx) {
    const id = ctx.params.id!;
    refuseSelf(ctx, id, 'delete');
    if (!(await changes.deleteConsumer(id, auditContext(ctx)))) throw unknownConsumer(id);
    ctx.status = 204;
  });

  return router;
}
