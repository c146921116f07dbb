import Router from '@koa/router';
import { SignetError } from '../../protocol/errors.js';
import { ADMIN_SCOPE } from '../../protocol/scopes.js';
import { checkDirectoryUrl } from '../../key-directory/http-fetcher.js';
import { KeyDirectoryBody } from '../api-schemas.js';
import type { ServerContext } from '../context.js';
import { auditContext } from '../key-upload.js';
import { authenticate } from '../middleware/authenticate.js';
import type { SignetState } from '../state.js';
import { invalidFields, parseBody } from '../validation.js';
import { consumerView } from '../views.js';

/**
 * Admin API: a consumer's own key directory (a JWKS `jwks_uri` or a Web Bot Auth directory), whose
 * keys sign as `<consumer id>_<kid>` (docs/rfc9421.md#consumer-key-directories). The URL meets the
 * fetcher's SSRF rules at registration, so a refused one is a 400 now rather than a silent failure
 * at the first request.
 */
export function adminKeyDirectoryRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>({ prefix: '/admin/v1' });
  const admin = authenticate(server.verify, { scopes: [ADMIN_SCOPE] });

  const unknownConsumer = (id: string) => new SignetError('not_found', { detail: `No consumer ${id}.` });

  router.put('/consumers/:id/key-directory', admin, async function setKeyDirectory(ctx) {
    const body = parseBody(ctx, KeyDirectoryBody);
    const checked = checkDirectoryUrl(body.url, server.config.keyDirectoryAllowPrivate);
    if (typeof checked === 'string') {
      throw invalidFields('request body', [{ path: 'url', message: `Not an allowed key directory URL: ${checked} (https to a public address only).` }]);
    }
    const updated = await server.credentials.setKeyDirectory(ctx.params.id!, { url: checked.href, scopes: body.scopes ?? [] }, auditContext(ctx));
    if (updated === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = consumerView(updated);
  });

  router.delete('/consumers/:id/key-directory', admin, async function clearKeyDirectory(ctx) {
    const updated = await server.credentials.setKeyDirectory(ctx.params.id!, null, auditContext(ctx));
    if (updated === undefined) throw unknownConsumer(ctx.params.id!);
    ctx.body = consumerView(updated);
  });

  return router;
}
