import Router from '@koa/router';
import type { Context } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import { newKeyId } from '../../protocol/ids.js';
import type { KeyRecord } from '../../store/types.js';
import { AddKeyBody, ForceQuery, RevokeBody, RotateKeyBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { acceptUploadedKey, auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import { assertModeAllowed } from '../modes.js';
import { revokeKey } from '../revocation.js';
import type { SignetState } from '../state.js';
import { invalidFields, parseBody, parseQuery } from '../validation.js';
import { keyStatus, keyView } from '../views.js';
import { SELF_SERVICE_SCOPE } from '../../protocol/scopes.js';
import { requireScopesHeld } from '../scopes.js';

type Ctx = Context & { state: SignetState; params: Record<string, string> };

/**
 * Self-service key management under /v1/keys, for keys with the `keys` scope. Uploads (add,
 * rotate) carry a Signet-Proof signed by the new key besides the Authorization of an existing one.
 */
export function selfKeyRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/v1/keys' });
  const selfService = authenticate(server.verify, { scopes: [SELF_SERVICE_SCOPE] });
  const store = server.stores.credentials;

  /** One of the caller's own keys; another consumer's key is as unknown as a missing one. */
  async function ownKey(ctx: Ctx): Promise<KeyRecord> {
    const found = await store.findKey(ctx.params.kid!);
    if (found === undefined || found.consumer.id !== ctx.state.auth.consumer.id) {
      throw new SignetError('not_found', { detail: `You have no key ${ctx.params.kid}.` });
    }
    return found.key;
  }

  router.get('/', selfService, async function listOwnKeys(ctx) {
    await server.lastUsed.flush();
    const now = server.clock.now();
    ctx.body = { items: (await store.listKeys(ctx.state.auth.consumer.id)).map((key) => keyView(key, now)) };
  });

  router.post('/', selfService, async function addKey(ctx) {
    const body = parseBody(ctx, AddKeyBody);
    const now = server.clock.now();
    const notBefore = body.not_before === undefined ? null : Date.parse(body.not_before);
    const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
    if (expiresAt !== null && expiresAt <= Math.max(now, notBefore ?? now)) {
      throw invalidFields('request body', [{ path: 'expires_at', message: 'Must be later than now and than not_before.' }]);
    }
    const scopes = body.scopes ?? ctx.state.auth.key.scopes;
    requireScopesHeld(ctx, scopes);
    assertModeAllowed(ctx.state.auth.consumer, 'ed25519');
    const uploaded = await acceptUploadedKey(server, ctx, body.public_key);
    const key = await server.credentials.insertKey(
      { id: newKeyId(), consumerId: ctx.state.auth.consumer.id, type: 'ed25519', ...uploaded, label: body.label ?? '', scopes, notBefore, expiresAt },
      auditContext(ctx),
    );
    ctx.status = 201;
    ctx.body = keyView(key, now);
  });

  router.post('/:kid/rotate', selfService, async function rotateKey(ctx) {
    const body = parseBody(ctx, RotateKeyBody);
    const previous = await ownKey(ctx);
    const now = server.clock.now();
    const status = keyStatus(previous, now);
    if (status === 'revoked' || status === 'expired') {
      throw new SignetError('conflict', { detail: `${previous.id} is ${status}; add a new key instead of rotating it.` });
    }
    requireScopesHeld(ctx, previous.scopes);
    assertModeAllowed(ctx.state.auth.consumer, 'ed25519');
    const uploaded = await acceptUploadedKey(server, ctx, body.public_key);
    const overlapMs = (body.overlap_seconds ?? server.config.rotationOverlapSeconds) * 1000;
    const rotation = await server.credentials.rotateKey(
      previous.id,
      { id: newKeyId(), consumerId: previous.consumerId, type: 'ed25519', ...uploaded, label: body.label ?? previous.label, scopes: previous.scopes },
      now + overlapMs,
      auditContext(ctx),
    );
    if (rotation === undefined) throw new SignetError('not_found', { detail: `You have no key ${previous.id}.` });
    ctx.status = 201;
    ctx.body = { key: keyView(rotation.key, now), previous: keyView(rotation.previous, now) };
  });

  router.post('/:kid/revoke', selfService, async function revokeOwnKey(ctx) {
    const body = parseBody(ctx, RevokeBody);
    const force = body.force === true || parseQuery(ctx, ForceQuery).force === 'true';
    const revoked = await revokeKey(server, ctx, await ownKey(ctx), force);
    ctx.body = keyView(revoked, server.clock.now());
  });

  return router;
}
