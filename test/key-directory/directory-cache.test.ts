import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { publicKeyToJwk, jwkThumbprint } from '../../src/protocol/public-key.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { DirectoryCache, type KeySetChange } from '../../src/key-directory/directory-cache.js';
import { DirectoryFetchError } from '../../src/key-directory/fetcher.js';
import { cacheControlMaxAge } from '../../src/key-directory/fetcher.js';
import { MemoryDirectoryFetcher } from '../../src/key-directory/memory-fetcher.js';

const URL_A = 'https://agent.example/.well-known/http-message-signatures-directory';

async function directory(...raws: Uint8Array[]): Promise<string> {
  return JSON.stringify({ keys: raws.map((raw) => publicKeyToJwk(raw)) });
}

function setup() {
  const clock = new ManualClock(1_000_000);
  const fetcher = new MemoryDirectoryFetcher();
  const changes: KeySetChange[] = [];
  const cache = new DirectoryCache({ fetcher, clock, minTtlMs: 60_000, maxTtlMs: 3_600_000, defaultTtlMs: 300_000, unknownKeyRefreshMs: 30_000, staleMs: 600_000, onChange: (c) => changes.push(c) });
  return { clock, fetcher, cache, changes };
}

describe('DirectoryCache', () => {
  it('resolves a key by its thumbprint, caches the set per Cache-Control within bounds, and refetches after', async () => {
    const { clock, fetcher, cache } = setup();
    const pair = await generateKeyPair();
    const thumbprint = await jwkThumbprint(pair.publicKey);
    fetcher.set(URL_A, { body: await directory(pair.publicKey), maxAgeSeconds: 5 });
    expect((await cache.resolve(URL_A, thumbprint))?.publicKey).toEqual(pair.publicKey);
    clock.advance(59_000);
    await cache.resolve(URL_A, thumbprint);
    expect(fetcher.fetches.get(URL_A)).toBe(1); // max-age 5 s raised to the 60 s minimum
    clock.advance(2_000);
    await cache.resolve(URL_A, thumbprint);
    expect(fetcher.fetches.get(URL_A)).toBe(2);
  });

  it('refreshes on an unknown keyid at most once per interval, and writes added and removed keys for the audit', async () => {
    const { clock, fetcher, cache, changes } = setup();
    const [one, two] = [await generateKeyPair(), await generateKeyPair()];
    fetcher.set(URL_A, { body: await directory(one.publicKey), maxAgeSeconds: 3600 });
    await cache.resolve(URL_A, await jwkThumbprint(one.publicKey));
    fetcher.set(URL_A, { body: await directory(two.publicKey), maxAgeSeconds: 3600 });
    clock.advance(31_000);
    expect(await cache.resolve(URL_A, await jwkThumbprint(two.publicKey))).toBeDefined();
    for (let i = 0; i < 20; i++) expect(await cache.resolve(URL_A, `unknown${i}`)).toBeUndefined();
    expect(fetcher.fetches.get(URL_A)).toBe(2);
    expect(changes.map((c) => [c.added.length, c.removed.length])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(changes[1]!.removed).toEqual([await jwkThumbprint(one.publicKey)]);
  });

  it('keeps the last good set within the stale bound when a refresh fails, then nothing', async () => {
    const { clock, fetcher, cache, changes } = setup();
    const pair = await generateKeyPair();
    const thumbprint = await jwkThumbprint(pair.publicKey);
    fetcher.set(URL_A, { body: await directory(pair.publicKey), maxAgeSeconds: 60 });
    await cache.resolve(URL_A, thumbprint);
    fetcher.set(URL_A, new DirectoryFetchError('status 503'));
    clock.advance(61_000);
    expect(await cache.resolve(URL_A, thumbprint)).toBeDefined();
    expect(changes.at(-1)?.failure).toBe('status 503');
    clock.advance(600_000);
    expect(await cache.resolve(URL_A, thumbprint)).toBeUndefined();
  });

  it('refuses keys failing the upload checks (small-order point, wrong curve, private material) and names them', async () => {
    const { fetcher, cache, changes } = setup();
    const good = await generateKeyPair();
    const identity = new Uint8Array(32);
    identity[0] = 1;
    fetcher.set(URL_A, {
      body: JSON.stringify({
        keys: [publicKeyToJwk(identity), { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, { ...publicKeyToJwk(good.publicKey), d: encodeBase64url(new Uint8Array(32)) }, publicKeyToJwk(good.publicKey)],
      }),
      maxAgeSeconds: 60,
    });
    expect(await cache.resolve(URL_A, await jwkThumbprint(identity))).toBeUndefined();
    expect(await cache.resolve(URL_A, await jwkThumbprint(good.publicKey))).toBeDefined();
    expect(changes[0]!.refused).toHaveLength(3);
  });

  it('resolves nothing from a directory that is not JSON or has no keys array', async () => {
    const { fetcher, cache, changes } = setup();
    fetcher.set(URL_A, { body: '<html>', maxAgeSeconds: 60 });
    expect(await cache.resolve(URL_A, 'x')).toBeUndefined();
    fetcher.set('https://b.example/jwks', { body: '{"keys": {}}', maxAgeSeconds: 60 });
    expect(await cache.resolve('https://b.example/jwks', 'x')).toBeUndefined();
    expect(changes.map((c) => c.failure)).toEqual(['the directory is not strict JSON', 'the directory has no "keys" array']);
  });
});

describe('cacheControlMaxAge', () => {
  it('reads max-age, treats no-store and no-cache as 0, and ignores nonsense', () => {
    expect(cacheControlMaxAge('public, max-age=300')).toBe(300);
    expect(cacheControlMaxAge('no-store, max-age=300')).toBe(0);
    expect(cacheControlMaxAge('max-age=abc')).toBeUndefined();
    expect(cacheControlMaxAge(undefined)).toBeUndefined();
  });
});
