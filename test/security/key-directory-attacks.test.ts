import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryFetchError } from '../../src/key-directory/fetcher.js';
import { HttpDirectoryFetcher, isPrivateAddress } from '../../src/key-directory/http-fetcher.js';

/**
 * Directory URLs are chosen by consumers, so fetching them is an SSRF surface: hostile directory
 * servers (huge, slow, redirecting, non-JSON) and private addresses must be refused, never hang.
 */
describe('key directory fetching against hostile servers', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=120' });
          res.end('{"keys":[]}');
          return;
        case '/huge':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('x'.repeat(200_000));
          return;
        case '/huge-declared':
          res.writeHead(200, { 'content-length': '100000000' });
          res.write('x');
          return;
        case '/slow':
          res.writeHead(200);
          res.write('{');
          return; // never ends
        case '/redirect-other-host':
          res.writeHead(302, { location: 'http://localhost:1/steal' });
          res.end();
          return;
        case '/redirect-same-host':
          res.writeHead(302, { location: '/ok' });
          res.end();
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const permissive = () => new HttpDirectoryFetcher({ maxBytes: 65_536, timeoutMs: 500, allowPrivateNetworks: true });
  const strict = () => new HttpDirectoryFetcher({ maxBytes: 65_536, timeoutMs: 500, allowPrivateNetworks: false });

  async function failure(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DirectoryFetchError);
    return (error as DirectoryFetchError).reason;
  }

  it('fetches a directory with its Cache-Control max-age when private networks are allowed (tests only)', async () => {
    expect(await permissive().fetch(base + '/ok')).toEqual({ body: '{"keys":[]}', maxAgeSeconds: 120 });
  });

  it('refuses http, loopback, private and link-local addresses by default, and names that resolve to them', async () => {
    expect(await failure(strict().fetch(base + '/ok'))).toMatch(/scheme http/);
    expect(await failure(strict().fetch('https://127.0.0.1/x'))).toMatch(/not allowed/);
    expect(await failure(strict().fetch('https://169.254.169.254/latest/meta-data'))).toMatch(/not allowed/);
    expect(await failure(strict().fetch('https://[::1]/x'))).toMatch(/not allowed/);
    expect(await failure(strict().fetch('https://10.1.2.3/x'))).toMatch(/not allowed/);
    expect(await failure(strict().fetch('https://localhost/x'))).toMatch(/not allowed/);
    expect(await failure(strict().fetch('https://user:pw@example.com/x'))).toMatch(/user info/);
    expect(isPrivateAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
  });

  it('refuses a huge body, declared or streamed, and a server that never finishes', async () => {
    expect(await failure(permissive().fetch(base + '/huge'))).toMatch(/limit/);
    expect(await failure(permissive().fetch(base + '/huge-declared'))).toMatch(/limit/);
    expect(await failure(permissive().fetch(base + '/slow'))).toMatch(/within 500 ms/);
  });

  it('follows a redirect on the same host only, and refuses one to another host', async () => {
    expect((await permissive().fetch(base + '/redirect-same-host')).body).toBe('{"keys":[]}');
    expect(await failure(permissive().fetch(base + '/redirect-other-host'))).toMatch(/another host/);
  });

  it('refuses an answer that is not 200', async () => {
    expect(await failure(permissive().fetch(base + '/missing'))).toBe('status 404');
  });
});
