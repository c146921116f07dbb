import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

describe('a signed request end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('accepts a correctly signed GET /v1/whoami and names the consumer and key', async () => {
    const { pair, kid, record } = await h.addConsumer('alice');
    const response = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ consumer_id: record.consumer.id, key_id: kid, mode: 'ed25519' });
  });

  it('refuses the same token a second time as a replay', async () => {
    const { pair, kid } = await h.addConsumer();
    const authorization = await h.sign({ method: 'GET', path: '/v1/whoami', pair, kid });
    const first = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } });
    const second = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } });
    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(await second.json()).toMatchObject({ code: 'token_replayed' });
  });
});
