import { createServer, Socket, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { SignetError } from '../../src/protocol/errors.js';
import type { Harness } from './harness.js';

/**
 * Shared assertions of the attack suite (test/security/): every hostile request is answered with a
 * 4xx carrying the expected stable code, never a 5xx, and leaves the replay store as it was.
 */

export interface Refusal {
  status: number;
  code: string;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * Sends one hostile request through `send` and checks the answer: status 4xx (and the given one),
 * a problem body with the given code, a WWW-Authenticate challenge naming it for a 401, and no new
 * replay-store entry.
 */
export async function expectRefused(h: Harness, send: () => Promise<Response>, code: string, status = 401): Promise<Refusal> {
  const before = h.stores.replay.size();
  const response = await send();
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.code, text).toBe(code);
  if (status === 401) expect(response.headers.get('www-authenticate')).toBe(`Signet realm="signet", error="${code}"`);
  expect(h.stores.replay.size(), 'the replay store was written by a refused request').toBe(before);
  return { status: response.status, code: body.code as string, body, headers: response.headers };
}

/** GET /v1/whoami with this Authorization value. */
export function getWith(h: Harness, authorization: string, path = '/v1/whoami'): () => Promise<Response> {
  return () => fetch(h.baseUrl + path, { headers: { Authorization: authorization } });
}

/** A local TCP listener that counts every connection made to it: the target of SSRF bait. */
export interface BaitListener {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

export async function startBaitListener(): Promise<BaitListener> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Records every outgoing TCP connection this process opens (fetch, node:http and raw sockets all
 * end in Socket.prototype.connect) until `stop()`. The harness server runs in the test process, so
 * a fetch of a `jku` URL by the server would show here.
 */
export function recordOutboundConnections(): { targets: string[]; stop(): void } {
  const original = Socket.prototype.connect;
  const targets: string[] = [];
  Socket.prototype.connect = function connect(this: Socket, ...args: unknown[]) {
    const first = args[0];
    const options = Array.isArray(first) ? first[0] : first;
    if (typeof options === 'object' && options !== null) {
      const o = options as { host?: string; port?: number; path?: string };
      targets.push(o.path ?? `${o.host ?? 'localhost'}:${o.port}`);
    } else {
      targets.push(`${String(args[1] ?? 'localhost')}:${String(first)}`);
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    targets,
    stop: () => {
      Socket.prototype.connect = original;
    },
  };
}

/**
 * For a schema fed random input: the error is a SignetError invalid_request listing at least one
 * field error, each with a string path and message (never an exception of another kind).
 */
export function expectFieldErrors(error: unknown): void {
  expect(error).toBeInstanceOf(SignetError);
  const e = error as SignetError;
  expect(e.code).toBe('invalid_request');
  const errors = e.extra.errors as Array<{ path: unknown; message: unknown }>;
  expect(errors.length).toBeGreaterThan(0);
  for (const item of errors) {
    expect(typeof item.path).toBe('string');
    expect(typeof item.message).toBe('string');
  }
}
