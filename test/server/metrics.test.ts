import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/server/metrics.js';

const sources = { replayStoreSize: () => 0, usageBuffered: () => 0 };

async function value(counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([name, wanted]) => v.labels[name] === wanted))?.value ?? 0;
}

describe('response counters', () => {
  it('shows every counted response on each read, counts made between two reads included', async () => {
    const metrics = createMetrics(sources);
    metrics.countResponse('ok', 'hmac', 'jws');
    metrics.countResponse('ok', 'hmac', 'jws');
    metrics.countResponse('invalid_token', 'none', undefined);
    expect(await value(metrics.requests, { outcome: 'ok', mode: 'hmac' })).toBe(2);
    expect(await value(metrics.requests, { outcome: 'invalid_token', mode: 'none' })).toBe(1);
    expect(await value(metrics.formats, { format: 'jws', mode: 'hmac' })).toBe(2);
    metrics.countResponse('ok', 'hmac', 'rfc9421');
    expect(await value(metrics.requests, { outcome: 'ok', mode: 'hmac' })).toBe(3);
    expect(await value(metrics.formats, { format: 'rfc9421', mode: 'hmac' })).toBe(1);
  });

  it('adds tallied responses to direct increments of the same series', async () => {
    const metrics = createMetrics(sources);
    metrics.requests.inc({ outcome: 'ok', mode: 'ed25519' });
    metrics.countResponse('ok', 'ed25519', 'jws');
    expect(await value(metrics.requests, { outcome: 'ok', mode: 'ed25519' })).toBe(2);
    expect(await metrics.exposition()).toContain('signet_requests_total{outcome="ok",mode="ed25519"} 2');
  });
});
