import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { newEnrollmentCodeId } from '../../protocol/ids.js';
import { ADMIN_SCOPE, SELF_SERVICE_SCOPE } from '../../protocol/scopes.js';
import { newEnrollmentCode } from '../../protocol/secret-formats.js';
import { hashEnrollmentCode } from '../enrollment-code.js';
import { EnrollmentCodeBody, EnrollmentCodeListQuery } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { parseBody, parseQuery } from '../validation.js';
import { enrollmentCodeView } from '../views.js';
import { assertModeAllowed } from '../modes.js';

/**
 * Admin API: one-time enrollment codes, created, listed and cancelled. The code is shown in the
 * creation answer only; the store keeps its hash.
 */
export function adminEnrollmentRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });

  router.post('/consumers/:id/enrollment-codes', admin, async function createEnrollmentCode(ctx) {
    const body = parseBody(ctx, EnrollmentCodeBody);
    // Enrollment registers an Ed25519 key: refuse a code the consumer could not use.
    const consumer = await server.stores.credentials.getConsumer(ctx.params.id!);
    if (consumer !== undefined) assertModeAllowed(consumer, 'ed25519');
    const now = server.clock.now();
    const code = newEnrollmentCode();
    const record = await server.credentials.createEnrollmentCode(
      {
        id: newEnrollmentCodeId(),
        consumerId: ctx.params.id!,
        scopes: body.scopes ?? [SELF_SERVICE_SCOPE],
        expiresAt: now + (body.ttl_seconds ?? server.config.enrollmentCodeTtlSeconds) * 1000,
        codeHash: hashEnrollmentCode(code),
      },
      auditContext(ctx),
    );
    if (record === undefined) throw new SignetError('not_found', { detail: `No consumer ${ctx.params.id}.` });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { code, ...enrollmentCodeView(record, now) };
  });

  router.get('/consumers/:id/enrollment-codes', admin, async function listEnrollmentCodes(ctx) {
    const query = parseQuery(ctx, EnrollmentCodeListQuery);
    const id = ctx.params.id!;
    if ((await server.stores.credentials.getConsumer(id)) === undefined) throw new SignetError('not_found', { detail: `No consumer ${id}.` });
    const now = server.clock.now();
    const page = await server.stores.enrollment.listCodes({ consumerId: id, now, ...query });
    ctx.body = { items: page.items.map((code) => enrollmentCodeView(code, now)), next_cursor: page.nextCursor };
  });

  // Idempotent like key revocation: cancelling a cancelled code answers it unchanged.
  router.post('/enrollment-codes/:code_id/cancel', admin, async function cancelEnrollmentCode(ctx) {
    const id = ctx.params.code_id!;
    const now = server.clock.now();
    const outcome = await server.credentials.cancelEnrollmentCode(id, auditContext(ctx));
    if (!outcome.ok && outcome.reason === 'unknown') throw new SignetError('not_found', { detail: `No enrollment code ${id}.` });
    if (!outcome.ok) {
      const { usedAt, usedKeyId } = outcome.code;
      throw new SignetError('conflict', {
        detail: `Enrollment code ${id} was already used at ${new Date(usedAt!).toISOString()} to enroll ${usedKeyId}: revoke that key instead.`,
        extra: { state: 'used' },
      });
    }
    ctx.body = enrollmentCodeView(outcome.code, now);
  });

  return router;
}
