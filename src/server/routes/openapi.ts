import Router from '@koa/router';
import type { ServerContext } from '../context.js';
import { openApiDocument } from '../openapi.js';
import type { SignetState } from '../state.js';

export function openApiRoutes(server: ServerContext): Router<SignetState> {
  const router = new Router<SignetState>();
  const document = openApiDocument(server.config);
  router.get('/openapi.json', function serveOpenApi(ctx) {
    ctx.body = document;
  });
  return router;
}
