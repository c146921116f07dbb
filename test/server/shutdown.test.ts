import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeCli } from '../helpers/cli-process.js';
import { spawnServer } from '../helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-shutdown-'));
afterAll(() => {
  disposeCli();
  rmSync(dir, { recursive: true, force: true });
});

let databases = 0;
const serverEnv = (extra: Record<string, string> = {}) => ({ SIGNET_DB: join(dir, `db-${++databases}.sqlite`), SIGNET_MASTER_KEY_FILE: join(dir, 'master.key'), ...extra });

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

const REQUEST = 'POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}';

/**
 * A keep-alive client that keeps two requests on the wire at all times (the next one sent as soon
 * as an answer arrives), as a load generator or a pipelining proxy does, for at most
 * `maxRequests`; `ended` resolves with the answers it got once the server closes the connection.
 */
async function busyClient(url: string, maxRequests: number): Promise<{ ended: Promise<number>; answered: () => number }> {
  const socket = await open(url);
  let answered = 0;
  let sent = 2;
  socket.on('data', (chunk: Buffer) => {
    const answers = chunk.toString('latin1').split('HTTP/1.1 ').length - 1;
    answered += answers;
    for (let i = 0; i < answers && sent < maxRequests && !socket.destroyed; i++, sent++) socket.write(REQUEST);
  });
  socket.on('error', () => undefined);
  const ended = new Promise<number>((resolve) => socket.once('close', () => resolve(answered)));
  socket.write(REQUEST + REQUEST);
  return { ended, answered: () => answered };
}

describe('stopping the server with SIGTERM', () => {
  it('ends while 16 keep-alive clients post back to back: in-flight answers say Connection: close, then it exits 0', async () => {
    const server = await spawnServer(serverEnv());
    const clients = await Promise.all(Array.from({ length: 16 }, () => busyClient(server.url, 200_000)));
    // Every client is busy before the signal.
    await expect.poll(() => clients.every((client) => client.answered() > 20), { timeout: 30_000 }).toBe(true);
    const code = await server.stop(40_000);
    expect(code).toBe(0);
    await Promise.all(clients.map((client) => client.ended));
  }, 90_000);

  it('does not wait for connections that never finish their headers', async () => {
    // A long header timeout, so that only the shutdown itself can end these connections.
    const server = await spawnServer(serverEnv({ SIGNET_HEADERS_TIMEOUT_MS: '120000', SIGNET_REQUEST_TIMEOUT_MS: '120000' }));
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(server.url)));
    for (const socket of sockets) {
      socket.on('error', () => undefined);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    }
    const closed = sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    const code = await server.stop(30_000);
    expect(code).toBe(0);
    await Promise.all(closed);
  }, 60_000);

  it('answers a request in flight during the shutdown whole, then closes its connection', async () => {
    const server = await spawnServer(serverEnv());
    const socket = await open(server.url);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Headers complete, body still on its way when the signal arrives.
    socket.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = server.stop(30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write('cd');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(await stopped).toBe(0);
  }, 60_000);
});

describe('slow clients', () => {
  it('are answered 408 and disconnected once the header timeout has passed', async () => {
    const server = await spawnServer(serverEnv({ SIGNET_HEADERS_TIMEOUT_MS: '2000' }));
    try {
      const socket = await open(server.url);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      // Without the timeout the connection would stay open for as long as the client likes.
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await server.stop();
    }
  }, 25_000);
});
