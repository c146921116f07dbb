import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { ADMIN_SCOPE, SELF_SERVICE_SCOPE } from '../../protocol/scopes.js';
import { requireScopesHeld } from '../scopes.js';
import { checkDirectoryUrl } from '../../key-directory/http-fetcher.js';
import { KeyDirectoryBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { invalidFields, parseBody } from '../validation.js';
import { consumerView } from '../views.js';

/** The URL checked against the fetcher's SSRF rules (with the deployment's allow-private setting), as a 400 naming `url`. */
function checkedUrl(server: ServerContext, url: string): string {
  const checked = checkDirectoryUrl(url, server.config.keyDirectoryAllowPrivate);
  if (typeof checked === 'string') {
    throw invalidFields('request body', [{ path: 'url', message: `Not an allowed key directory URL: ${checked} (https to a public address only).` }]);
  }
  return checked.href;
}

/**
 * A consumer's own key directory (a JWKS `jwks_uri` or a Web Bot Auth directory), whose keys sign
 * as `<consumer id>_<kid>` (docs/rfc9421.md#consumer-key-directories): set by an admin for any
 * consumer, or by a consumer's `keys` key for its own (granting only scopes that key holds). The
 * URL meets the fetcher's SSRF rules at registration, so a refused one is a 400 now rather than a
 * silent failure at the first request.
 */
export function keyDirectoryRoutes(server: ServerContext): Router<SignetState>[] {
  const admin = new Router<SignetState>({ prefix: '/admin/v1' });
  const adminOnly = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });
  const unknownConsumer = (id: string) => new SignetError('not_found', { detail: `No consumer ${id}.` });

  admin.put('/consumers/:id/key-directory', adminOnly, async function setKeyDirectory(ctx) {
    const body = parseBody(ctx, KeyDirectoryBody);
    const updated = await server.credentials.setKeyDirectory(ctx.params.id!, { url: checkedUrl(server, body.url), scopes: body.scopes ?? [] }, auditContext(ctx));
    if (updated === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = consumerView(updated);
  });

  admin.delete('/consumers/:id/key-directory', adminOnly, async function clearKeyDirectory(ctx) {
    const updated = await server.credentials.setKeyDirectory(ctx.params.id!, null, auditContext(ctx));
    if (updated === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = consumerView(updated);
  });

  const self = new Router<SignetState>({ prefix: '/v1' });
  const selfService = authenticate(server.verify, { scopes: [SELF_SERVICE_SCOPE] });

  self.put('/key-directory', selfService, async function setOwnKeyDirectory(ctx) {
    const body = parseBody(ctx, KeyDirectoryBody);
    const scopes = body.scopes ?? [];
    requireScopesHeld(ctx, scopes);
    const updated = await server.credentials.setKeyDirectory(ctx.state.auth.consumer.id, { url: checkedUrl(server, body.url), scopes }, auditContext(ctx));
    ctx.body = consumerView(updated!);
  });

  self.delete('/key-directory', selfService, async function clearOwnKeyDirectory(ctx) {
    const updated = await server.credentials.setKeyDirectory(ctx.state.auth.consumer.id, null, auditContext(ctx));
    ctx.body = consumerView(updated!);
  });

  return [admin, self];
}
