import type { Context } from 'koa';
import { SignetError } from '../protocol/errors.js';
import type { KeyRecord } from '../store/types.js';
import type { ServerContext } from './context.js';
import { auditContext } from './key-upload.js';
import type { SignetState } from './state.js';
import { keyStatus } from './views.js';

/**
 * Revokes a key (the credential service drops it from every instance's key cache at once), so the very next request
 * with it is refused. Idempotent: revoking a revoked key returns it unchanged. Revoking the last
 * active key of one's own consumer locks the caller out, so it needs `force`.
 */
export async function revokeKey(server: ServerContext, ctx: Context & { state: SignetState }, key: KeyRecord, force: boolean): Promise<KeyRecord> {
  if (key.revokedAt !== null) return key;
  const now = server.clock.now();
  if (!force && key.consumerId === ctx.state.auth.consumer.id) {
    const others = (await server.stores.credentials.listKeys(key.consumerId)).filter((k) => k.id !== key.id && keyStatus(k, now) === 'active');
    if (others.length === 0) {
      throw new SignetError('conflict', {
        detail: `${key.id} is your last active key: revoking it locks you out. Add another key first, or repeat with force.`,
        extra: { last_active_key: true },
      });
    }
  }
  await server.credentials.revokeKey(key.id, auditContext(ctx));
  return (await server.stores.credentials.findKey(key.id))?.key ?? { ...key, revokedAt: now };
}
