import Router from '@koa/router';
import type { Context } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import type { ServerContext } from '../context.js';
import { defaultPortalDir, PORTAL_SECURITY_HEADERS, PortalAssets } from '../portal-assets.js';
import type { SignetState } from '../state.js';

/**
 * The developer portal (docs/portal.md): static files built by `npm run build` into dist/portal,
 * served under a strict Content-Security-Policy. The page itself needs no authentication; every
 * API call it makes is a signed request like any other client's.
 */
export function portalRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();
  const assets = new PortalAssets(server.config.portalDir ?? defaultPortalDir(), {
    publicOrigin: server.config.publicOrigin,
    audience: server.config.audience,
  });

  async function send(ctx: Context, name: string): Promise<void> {
    const asset = await assets.get(name);
    if (asset === undefined) {
      const built = name === 'index.html' ? ' The portal is not built: run "npm run build".' : '';
      throw new SignetError('not_found', { detail: `No portal file ${name}.${built}` });
    }
    ctx.set(PORTAL_SECURITY_HEADERS);
    // Revalidated on every load, so a rebuilt portal is picked up at once; unchanged files cost a 304.
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('ETag', asset.etag);
    ctx.type = asset.contentType;
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  }

  // "/portal" and "/portal/" both serve the page (it links its files by absolute path).
  router.get('/portal', (ctx) => send(ctx, 'index.html'));
  router.get('/portal/:file', (ctx) => send(ctx, ctx.params.file!));
  return router;
}
