import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { newKeyId } from '../../protocol/ids.js';
import { EnrollBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { acceptUploadedKey } from '../key-upload.js';
import type { SignetState } from '../state.js';
import { parseBody } from '../validation.js';
import { keyView } from '../views.js';
import { hashEnrollmentCode } from '../enrollment-code.js';

const iso = (ms: number | undefined) => (ms === undefined ? 'an unknown time' : new Date(ms).toISOString());

/**
 * POST /v1/enroll: a consumer's first key. No Authorization: the one-time enrollment code in the
 * body authenticates, and the Signet-Proof header proves the uploader holds the new private key.
 */
export function enrollRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();

  router.post('/v1/enroll', async function enroll(ctx) {
    const body = parseBody(ctx, EnrollBody);
    const uploaded = await acceptUploadedKey(server, ctx, body.public_key);
    const now = server.clock.now();
    const outcome = await server.credentials.enroll(
      hashEnrollmentCode(body.code),
      { id: newKeyId(), type: 'ed25519', ...uploaded, label: body.label ?? '' },
      { requestId: ctx.state.requestId, sourceIp: ctx.ip || null },
    );
    if (!outcome.ok) {
      if (outcome.reason === 'consumer_disabled') throw new SignetError('consumer_disabled', { detail: 'The consumer this code enrolls is disabled.' });
      // A cancelled code answers as an unknown one: whoever holds a leaked code learns nothing.
      const reason = outcome.reason === 'cancelled' ? 'unknown' : outcome.reason;
      const detail = {
        unknown: 'This enrollment code is not known. Check for a typo, or ask the admin for a new one.',
        expired: `This enrollment code expired at ${iso(outcome.at)}. Ask the admin for a new one.`,
        used: `This enrollment code was already used at ${iso(outcome.at)}. Codes work once; if it was not you, tell the admin.`,
      }[reason];
      const privateDetail = outcome.reason === 'cancelled' ? 'The enrollment code was cancelled by an admin.' : undefined;
      throw new SignetError('invalid_enrollment_code', { detail, privateDetail, extra: { reason } });
    }
    ctx.status = 201;
    ctx.body = { consumer_id: outcome.enrolled.consumer.id, consumer_name: outcome.enrolled.consumer.name, key: keyView(outcome.enrolled.key, now) };
  });

  return router;
}
