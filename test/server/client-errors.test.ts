import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-http.js';

describe('requests the HTTP parser refuses before the app sees them', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answer a request that is not HTTP/1.1 with 400 invalid_request and a problem body', async () => {
    const response = await rawRequest(h.baseUrl, 'GET /v1/whoami HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ code: 'invalid_request', status: 400, request_id: response.headers['request-id'] });
  });

  it('answer headers just over 16 KiB with 431 headers_too_large, then serve the next connection', async () => {
    const response = await rawRequest(h.baseUrl, `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(17 * 1024)}\r\n\r\n`);
    expect(response.status).toBe(431);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'headers_too_large', status: 431 });
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
  });
});
