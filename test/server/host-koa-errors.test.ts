import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignetError } from '../../src/protocol/errors.js';
import { authenticate } from '../../src/server/middleware/authenticate.js';
import { rawBody } from '../../src/server/middleware/raw-body.js';
import type { SignetState } from '../../src/server/state.js';
import { startHarness, type Harness, type TestConsumer } from '../helpers/harness.js';

/**
 * A host app that mounts Signet's middleware but none of Signet's error handling: whatever it
 * answers on a refusal comes from Koa's default error handler reading the thrown SignetError.
 */
describe("a host Koa app with only Koa's default error handling", () => {
  let h: Harness;
  let alice: TestConsumer;
  let host: Server;
  let hostUrl: string;

  beforeAll(async () => {
    h = await startHarness();
    alice = await h.addConsumer('alice');
    const app = new Koa<SignetState>();
    app.silent = true;
    app.use(rawBody(1024));
    app.use(async (ctx, next) => {
      if (ctx.path === '/broken') throw new SignetError('internal_error', { detail: 'a server-side sentence', privateDetail: 'stored row 7 is unreadable' });
      await next();
    });
    app.use(authenticate(h.signet.server.verify, { scopes: ['admin'] }));
    app.use((ctx) => {
      ctx.body = { hello: ctx.state.auth.consumer.name };
    });
    host = createServer(app.callback());
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => host.close(() => resolve()));
    await h.close();
  });

  it('answers an unsigned request with 401, the challenge header and the public sentence', async () => {
    const response = await fetch(hostUrl + '/anything');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Signet realm="signet", error="missing_token"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toMatch(/Authorization: Signet <token>/);
  });

  it('answers a bad signature with 401 invalid_token in the challenge', async () => {
    const response = await fetch(hostUrl + '/anything', { headers: { Authorization: 'Signet a.b.c' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers a valid key without the needed scope with 403 and the scope sentence, no challenge', async () => {
    const response = await fetch(hostUrl + '/anything', { headers: { Authorization: await h.sign({ method: 'GET', path: '/anything', pair: alice.pair, kid: alice.kid }) } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.text()).toBe('This route needs the scope(s) admin.');
  });

  it('answers a server failure with a bare 500 that shows neither the public nor the private detail', async () => {
    const response = await fetch(hostUrl + '/broken');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toBe('Internal Server Error');
  });
});
