import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-http.js';

const PROBLEM_KEYS = ['code', 'detail', 'request_id', 'server_time', 'status', 'title', 'type'];

describe('problem responses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('have exactly {type, title, status, code, detail, request_id, server_time}, as problem+json, not cached', async () => {
    const response = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: 'Signet a.b.c' } });
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(PROBLEM_KEYS);
    expect(body).toMatchObject({
      type: 'urn:signet:problem:invalid_token',
      title: 'The request signature could not be verified.',
      status: 401,
      code: 'invalid_token',
      server_time: T0 / 1000,
    });
  });

  it('carry the request id that the Request-Id header carries, different for every request', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(h.baseUrl + '/v1/whoami');
      const body = await response.json();
      expect(response.headers.get('request-id')).toBe(body.request_id);
      expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(body.request_id);
    }
    expect(ids.size).toBe(5);
  });

  it('report the server time from the injected clock, in seconds', async () => {
    h.clock.set(T0 + 12_345);
    expect((await fetch(h.baseUrl + '/v1/whoami').then((r) => r.json())).server_time).toBe(T0 / 1000 + 12);
    h.clock.set(T0);
  });

  it('do not echo the token or anything of it', async () => {
    const secretish = 'eyJzZWNyZXQiOiJ0b3Agc2VjcmV0In0';
    const text = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${secretish}.${secretish}.${secretish}` } }).then((r) => r.text());
    expect(text).not.toContain(secretish);
  });
});

describe('routes without authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('/healthz answers 200 with a Request-Id', async () => {
    const response = await fetch(h.baseUrl + '/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/readyz answers 200 while the database answers', async () => {
    const response = await fetch(h.baseUrl + '/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', database: 'ok', usage: { recording: true, buffered: 0, dropped: { buffer_full: 0, write_failed: 0 } } });
  });

  it('an unknown path is a 404 not_found problem', async () => {
    const response = await fetch(h.baseUrl + '/v1/nothing-here');
    expect(response.status).toBe(404);
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(PROBLEM_KEYS);
    expect(body).toMatchObject({ code: 'not_found', status: 404 });
    expect(body.detail).toContain('/v1/nothing-here');
  });

  it('a known path with the wrong method is a 405 method_not_allowed problem with Allow', async () => {
    for (const [method, path] of [
      ['POST', '/v1/whoami'],
      ['GET', '/v1/echo'],
      ['DELETE', '/healthz'],
    ] as const) {
      const response = await fetch(h.baseUrl + path, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')).toBeTruthy();
      expect(await response.json()).toMatchObject({ code: 'method_not_allowed', status: 405 });
    }
  });

  it('a method the router does not know is a 405 problem, not a 501', async () => {
    for (const method of ['PROPFIND', 'TRACE', 'MKCOL']) {
      const response = await rawRequest(h.baseUrl, `${method} /v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response.status, method).toBe(405);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'method_not_allowed' });
      expect(response.headers.allow).toContain('GET');
    }
  });

  it('a method the router does not know on an unknown path is a 404 problem', async () => {
    const response = await rawRequest(h.baseUrl, 'PROPFIND /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'not_found' });
  });
});

describe('/readyz with the database gone', () => {
  it('answers 503 not ready', async () => {
    const h = await startHarness();
    await h.db.destroy();
    const response = await fetch(h.baseUrl + '/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'not_ready', database: 'unreachable' });
    await new Promise<void>((resolve) => h.http.close(() => resolve()));
    h.http.closeAllConnections();
  });
});

describe('the body limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ bodyLimitBytes: 1024 });
  });
  afterAll(async () => h.close());

  it('accepts a body of exactly the limit', async () => {
    const { pair, kid } = await h.addConsumer();
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: 'x'.repeat(1024), pair, kid });
    expect(response.status).toBe(200);
  });

  it('refuses a declared Content-Length over the limit with 413 before reading it, and writes no replay entry', async () => {
    const { pair, kid } = await h.addConsumer();
    const before = h.stores.replay.size();
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: 'x'.repeat(1025), pair, kid });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(h.stores.replay.size()).toBe(before);
  });

  it('refuses a chunked body that grows over the limit with 413', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(h.baseUrl + '/v1/echo');
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: url.pathname, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(200));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('malformed HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  const targets = [
    '/v1/%ZZ',
    '/v1/whoami?%ZZ=%',
    '/%E0%A4%A',
    '//v1/whoami',
    '/v1/whoami/../whoami',
    '*',
    'http://evil.example/v1/whoami',
    '/v1/whoami?' + 'a=1&'.repeat(2000),
    '/v1/whoami?signet_token=a.b.c',
    '/v1/whoami?signet_token=' + 'A'.repeat(9000),
    '/v1/echo?signet_token=x',
  ];

  it.each(targets.map((t) => [t.slice(0, 60), t]))('answers %s with a 4xx, never a 5xx', async (_, target) => {
    for (const method of ['GET', 'POST', 'OPTIONS', 'HEAD']) {
      const response = await rawRequest(h.baseUrl, `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      expect(response.status, `${method} ${target.slice(0, 60)}`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${method} ${target.slice(0, 60)}`).toBeLessThan(500);
    }
  });

  it('answers headers with control bytes or obs-text in Authorization with a 4xx', async () => {
    for (const value of ['Signet \u0001\u0002', 'Signet \u00ff\u00fe.a.b', 'Signet a.b.c\u0000', '\t Signet x']) {
      const response = await rawRequest(h.baseUrl, Buffer.from(`GET /v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${value}\r\n\r\n`, 'latin1'));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });

  it('answers a POST presigned link with missing_token: presigned links are GET only', async () => {
    const response = await fetch(h.baseUrl + '/v1/echo?signet_token=a.b.c', { method: 'POST', body: 'x' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'missing_token' });
  });
});
