import Router from '@koa/router';
import type { ServerContext } from '../context.js';
import { ADMIN_SCOPE } from '../../protocol/scopes.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { AdminUsageQuery, OwnUsageQuery, toStoreQuery } from '../usage/query.js';
import { limitsView, usageView } from '../usage/view.js';
import { parseQuery } from '../validation.js';
import { formatWindowLength } from '../../plans.js';

/** Usage analytics (own and admin) and the plan list. */
export function usageRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();
  const signed = authenticate(server.verify);
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });

  async function series(query: ReturnType<typeof toStoreQuery>) {
    // Read-your-writes on this instance: what is still buffered here is written first.
    await server.usage.flush();
    return usageView(query, await server.stores.usage.query(query), server.usage.enabled);
  }

  router.get('/v1/usage', signed, async function ownUsage(ctx) {
    const input = parseQuery(ctx, OwnUsageQuery);
    const consumer = ctx.state.auth.consumer;
    const query = toStoreQuery({ ...input, consumer: consumer.id }, server.clock.now());
    const { limits, windows } = await server.limiter.peek(consumer);
    ctx.body = { consumer_id: consumer.id, limits: limitsView(limits, windows), ...(await series(query)) };
  });

  router.get('/admin/v1/usage', admin, async function adminUsage(ctx) {
    const input = parseQuery(ctx, AdminUsageQuery);
    ctx.body = await series(toStoreQuery(input, server.clock.now()));
  });

  router.get('/admin/v1/plans', admin, function listPlans(ctx) {
    ctx.body = {
      default_plan: server.limiter.defaultPlan,
      plans: Object.values(server.limiter.plans).map((plan) => ({
        name: plan.name,
        description: plan.description,
        unlimited: plan.windows.length === 0,
        windows: plan.windows.map((w) => ({ name: w.name, limit: w.limit, window: formatWindowLength(w.length) })),
      })),
    };
  });

  return router;
}
