import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { newKeyId } from '../../src/protocol/ids.js';
import { KeyCache } from '../../src/server/key-cache.js';
import type { KeyWithConsumer } from '../../src/store/types.js';
import { T0 } from '../helpers/harness.js';
import { fakeKeyStore, keyRecord } from '../helpers/key-store-fake.js';

function cache(rows: Map<string, KeyWithConsumer>, options: { size?: number } = {}) {
  const clock = new ManualClock(T0);
  const fake = fakeKeyStore(rows);
  const keys = new KeyCache({ store: fake.store, clock, size: options.size ?? 100, ttlMs: 30_000, negativeTtlMs: 5_000 });
  return { clock, keys, ...fake };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyCache', () => {
  it('never asks the store about ids the server cannot have issued', async () => {
    const { keys, reads } = cache(new Map());
    for (const kid of ['', 'key_short', "key_' OR 1=1 --xxxxxxxxxx", 'con_AAAAAAAAAAAAAAAAAAAAAA', 'key_AAAAAAAAAAAAAAAAAAAAAAA', 'KEY_AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(await keys.resolve(kid)).toBeUndefined();
    }
    expect(reads).toEqual([]);
  });

  it('returns a ready-to-use key object and serves it from memory until the TTL passes', async () => {
    const kid = newKeyId();
    const { keys, reads, clock } = cache(new Map([[kid, keyRecord(kid)]]));
    const first = await keys.resolve(kid);
    expect(first?.keyObject?.asymmetricKeyType).toBe('ed25519');
    clock.advance(29_999);
    expect(await keys.resolve(kid)).toBe(first);
    expect(reads).toHaveLength(1);
    clock.advance(1);
    await keys.resolve(kid);
    expect(reads).toHaveLength(2);
  });

  it('answers synchronously from memory only for a fresh cached key, never reading the store', async () => {
    const kid = newKeyId();
    const { keys, reads, clock } = cache(new Map([[kid, keyRecord(kid)]]));
    expect(keys.cached(kid)).toBeUndefined();
    expect(reads).toHaveLength(0);
    const first = await keys.resolve(kid);
    expect(keys.cached(kid)).toBe(first);
    clock.advance(30_000);
    expect(keys.cached(kid)).toBeUndefined();
    expect(reads).toHaveLength(1);
  });

  it('forgets a synchronously cached key as soon as it is invalidated', async () => {
    const kid = newKeyId();
    const { keys } = cache(new Map([[kid, keyRecord(kid)]]));
    await keys.resolve(kid);
    keys.invalidate(kid);
    expect(keys.cached(kid)).toBeUndefined();
  });

  it('remembers an unknown id for the negative TTL only', async () => {
    const kid = newKeyId();
    const rows = new Map<string, KeyWithConsumer>();
    const { keys, reads, clock } = cache(rows);
    for (let i = 0; i < 10; i++) expect(await keys.resolve(kid)).toBeUndefined();
    expect(reads).toHaveLength(1);
    rows.set(kid, keyRecord(kid));
    clock.advance(5_000);
    expect((await keys.resolve(kid))?.key.id).toBe(kid);
    expect(reads).toHaveLength(2);
  });

  it('shares one read among concurrent misses for one id', async () => {
    const kid = newKeyId();
    const { keys, reads, holdReads, releaseOne } = cache(new Map([[kid, keyRecord(kid)]]));
    holdReads(true);
    const all = Array.from({ length: 20 }, () => keys.resolve(kid));
    await tick();
    releaseOne();
    const results = await Promise.all(all);
    expect(reads).toHaveLength(1);
    expect(new Set(results).size).toBe(1);
  });

  it('reads afresh right after invalidate (revocation takes effect at once)', async () => {
    const kid = newKeyId();
    const rows = new Map([[kid, keyRecord(kid)]]);
    const { keys } = cache(rows);
    expect((await keys.resolve(kid))?.key.revokedAt).toBeNull();
    rows.set(kid, keyRecord(kid, { revokedAt: T0 }));
    keys.invalidate(kid);
    expect((await keys.resolve(kid))?.key.revokedAt).toBe(T0);
  });

  it('does not cache a read that started before an invalidation', async () => {
    const kid = newKeyId();
    const rows = new Map([[kid, keyRecord(kid)]]);
    const { keys, reads, holdReads, releaseOne } = cache(rows);
    holdReads(true);
    const stale = keys.resolve(kid);
    await tick();
    rows.set(kid, keyRecord(kid, { revokedAt: T0 }));
    keys.invalidate(kid);
    releaseOne();
    await stale;
    holdReads(false);
    expect((await keys.resolve(kid))?.key.revokedAt).toBe(T0);
    expect(reads).toHaveLength(2);
  });

  it('still shares one read among misses that arrive after an invalidation, while an older read finishes', async () => {
    const kid = newKeyId();
    const { keys, reads, holdReads, releaseOne } = cache(new Map([[kid, keyRecord(kid)]]));
    holdReads(true);
    const before = keys.resolve(kid);
    await tick();
    keys.invalidate(kid);
    const after = keys.resolve(kid);
    await tick();
    releaseOne();
    await before;
    const late = keys.resolve(kid);
    await tick();
    releaseOne();
    releaseOne();
    await Promise.all([after, late]);
    expect(reads).toHaveLength(2);
  });

  it('drops every cached key of a consumer on invalidateConsumer', async () => {
    const [a, b, other] = [newKeyId(), newKeyId(), newKeyId()];
    const { keys, reads } = cache(
      new Map([
        [a, keyRecord(a, { consumerId: 'con_x' })],
        [b, keyRecord(b, { consumerId: 'con_x' })],
        [other, keyRecord(other, { consumerId: 'con_y' })],
      ]),
    );
    await Promise.all([keys.resolve(a), keys.resolve(b), keys.resolve(other)]);
    keys.invalidateConsumer('con_x');
    await Promise.all([keys.resolve(a), keys.resolve(b), keys.resolve(other)]);
    expect(reads.filter((k) => k === a || k === b)).toHaveLength(4);
    expect(reads.filter((k) => k === other)).toHaveLength(1);
  });

  it('holds at most `size` entries, evicting the oldest fill', async () => {
    const ids = [newKeyId(), newKeyId(), newKeyId()];
    const { keys, reads } = cache(new Map(ids.map((id) => [id, keyRecord(id)])), { size: 2 });
    for (const id of ids) await keys.resolve(id);
    await keys.resolve(ids[2]!);
    await keys.resolve(ids[1]!);
    expect(reads).toEqual(ids);
    await keys.resolve(ids[0]!);
    expect(reads).toEqual([...ids, ids[0]]);
  });

  it('refreshing an expired entry at capacity does not evict another live key', async () => {
    const [known, unknown] = [newKeyId(), newKeyId()];
    const { keys, reads, clock } = cache(new Map([[known, keyRecord(known)]]), { size: 2 });
    await keys.resolve(known);
    await keys.resolve(unknown);
    clock.advance(6_000);
    await keys.resolve(unknown);
    await keys.resolve(known);
    expect(reads).toEqual([known, unknown, unknown]);
  });

  describe('consumer directory keys', () => {
    const consumerId = `con_${'D'.repeat(22)}`;
    const kid = `${consumerId}_laptop`;

    function directoryCache(answer: { cacheUntil: number | undefined } | undefined) {
      const clock = new ManualClock(T0);
      const asked: string[] = [];
      const keys = new KeyCache({
        store: fakeKeyStore(new Map()).store,
        clock,
        size: 100,
        ttlMs: 30_000,
        negativeTtlMs: 5_000,
        findDirectoryKey: async (id) => {
          asked.push(id);
          return answer === undefined ? undefined : { found: keyRecord(id, { consumerId }), cacheUntil: answer.cacheUntil };
        },
      });
      return { clock, keys, asked };
    }

    it('keeps a directory key no longer than its directory set is fresh', async () => {
      const { clock, keys, asked } = directoryCache({ cacheUntil: T0 + 10_000 });
      expect((await keys.resolve(kid))?.key.id).toBe(kid);
      clock.advance(9_999);
      await keys.resolve(kid);
      expect(asked).toHaveLength(1);
      clock.advance(1);
      await keys.resolve(kid);
      expect(asked).toHaveLength(2);
    });

    it("forgets a remembered miss for a consumer's directory kid when that consumer changes, here or on another instance", async () => {
      const { keys, asked } = directoryCache(undefined);
      expect(await keys.resolve(kid)).toBeUndefined();
      expect(await keys.resolve(kid)).toBeUndefined();
      expect(asked).toHaveLength(1);
      keys.invalidateConsumer(consumerId);
      await keys.resolve(kid);
      keys.apply({ kind: 'consumer', id: consumerId });
      await keys.resolve(kid);
      expect(asked).toHaveLength(3);
    });

    it('never asks about directory-shaped ids without a directory resolver, nor about malformed ones', async () => {
      const { keys, reads } = cache(new Map());
      expect(await keys.resolve(kid)).toBeUndefined();
      const withDirectories = directoryCache(undefined);
      for (const bad of [`${consumerId}_`, `${consumerId}_a.b`, `con_${'D'.repeat(21)}_x`, `${consumerId}_${'k'.repeat(102)}`]) expect(await withDirectories.keys.resolve(bad)).toBeUndefined();
      expect([reads, withDirectories.asked]).toEqual([[], []]);
    });
  });
});
