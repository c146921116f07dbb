import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway, type RunningGateway } from '../../src/gateway/start.js';
import { silentLogger } from '../../src/server/logger.js';
import { addConsumerTo, type EmbeddedConsumer } from '../helpers/embedded.js';

const BIG = Buffer.alloc(4 * 1024 * 1024, 'signet ');

/** An upstream whose answers the tests choose by path. */
function upstreamServer(): Server {
  return createServer((req, res) => {
    req.resume();
    if (req.url === '/hop') {
      res.writeHead(200, {
        Connection: 'keep-alive, X-Private-Hop',
        'X-Private-Hop': 'for the gateway only',
        'Keep-Alive': 'timeout=99',
        'Request-Id': 'upstream-made-this-up',
        'Set-Cookie': ['a=1', 'b=2'],
        'X-Kept': 'yes',
        'Content-Length': '2',
      });
      res.end('ok');
    } else if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(BIG);
    } else if (req.url === '/reset') {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('only a part');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.writeHead(404).end();
    }
  });
}

/** GET through node:http, so a cut connection shows as an error rather than a retry. */
function get(url: string, authorization: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; rawHeaders: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('the gateway relays the upstream answer', () => {
  let upstream: Server;
  let gw: RunningGateway;
  let alice: EmbeddedConsumer;

  beforeAll(async () => {
    upstream = upstreamServer();
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const config = loadConfig(
      {
        db: ':memory:',
        port: 0,
        gatewayPort: 0,
        publicOrigin: 'https://api.example.test',
        logLevel: 'silent',
        authFailureLimit: 0,
        gatewayUpstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        gatewayUpstreamTimeoutMs: 2000,
      },
      {},
    );
    gw = await startGateway(config, { logger: silentLogger() });
    alice = await addConsumerTo(gw.signet);
  });
  afterAll(async () => {
    await gw?.close();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it("drops the upstream's hop-by-hop fields, those its Connection field names and its own Request-Id, and keeps the rest", async () => {
    const answer = await get(gw.url + '/hop', await alice.sign('GET', '/hop'));
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('ok');
    expect(answer.headers['x-private-hop']).toBeUndefined();
    expect(answer.headers['keep-alive']).not.toBe('timeout=99'); // the gateway's own connection may send its own
    expect(answer.headers['x-kept']).toBe('yes');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const requestIds = answer.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'request-id');
    expect(requestIds).toHaveLength(1);
    expect(requestIds[0]).not.toBe('upstream-made-this-up');
  });

  it('streams an answer larger than any socket buffer byte for byte', async () => {
    const answer = await get(gw.url + '/big', await alice.sign('GET', '/big'));
    expect(answer.status).toBe(200);
    expect(answer.body.equals(BIG)).toBe(true);
  });

  it('cuts the client connection when the upstream resets in the middle of its answer, rather than hanging', async () => {
    await expect(get(gw.url + '/reset', await alice.sign('GET', '/reset'))).rejects.toThrow();
  });

  it('still answers after a client went away in the middle of a large answer', async () => {
    const authorization = await alice.sign('GET', '/big');
    await new Promise<void>((resolve) => {
      const req = request(gw.url + '/big', { headers: { authorization } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end();
    });
    const answer = await get(gw.url + '/hop', await alice.sign('GET', '/hop'));
    expect(answer.status).toBe(200);
  });
});
