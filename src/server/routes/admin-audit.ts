import Router from '@koa/router';
import { AuditQuery } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { parseQuery } from '../validation.js';
import { auditView } from '../views.js';
import { ADMIN_SCOPE } from '../../protocol/scopes.js';
import { AUDIT_ACTIONS } from '../../store/audit-actions.js';

/** Admin API: the audit log, newest first, with filters and cursor pagination. */
export function adminAuditRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });

  router.get('/audit', admin, async function queryAudit(ctx) {
    const q = parseQuery(ctx, AuditQuery);
    const page = await server.stores.audit.list({
      since: q.since === undefined ? undefined : Date.parse(q.since),
      until: q.until === undefined ? undefined : Date.parse(q.until),
      consumerId: q.consumer,
      actor: q.actor,
      action: q.action,
      targetId: q.target,
      cursor: q.cursor,
      limit: q.limit,
    });
    ctx.body = { items: page.items.map(auditView), next_cursor: page.nextCursor };
  });

  router.get('/audit/actions', admin, function listAuditActions(ctx) {
    ctx.body = { items: AUDIT_ACTIONS };
  });

  return router;
}
