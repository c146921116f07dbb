import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SignetError } from '../../src/protocol/errors.js';
import { MemoryReplayStore } from '../../src/store/memory-replay-store.js';

const T0 = Date.UTC(2026, 0, 1);

function store(options: { capacity?: number; bucketMs?: number } = {}) {
  const clock = new ManualClock(T0);
  return { clock, replay: new MemoryReplayStore({ clock, capacity: options.capacity ?? 1000, ...(options.bucketMs !== undefined ? { bucketMs: options.bucketMs } : {}) }) };
}

describe('MemoryReplayStore', () => {
  it('answers fresh the first time and replayed after', async () => {
    const { replay } = store();
    expect(await replay.checkAndSet('key_a', 'jti-1', T0 + 60_000)).toBe('fresh');
    expect(await replay.checkAndSet('key_a', 'jti-1', T0 + 60_000)).toBe('replayed');
    expect(await replay.checkAndSet('key_a', 'jti-1', T0 + 999_000)).toBe('replayed');
    expect(replay.size()).toBe(1);
  });

  it('keeps key ids apart: one jti under two keys is two entries', async () => {
    const { replay } = store();
    expect(await replay.checkAndSet('key_a', 'jti', T0 + 60_000)).toBe('fresh');
    expect(await replay.checkAndSet('key_b', 'jti', T0 + 60_000)).toBe('fresh');
    expect(replay.size()).toBe(2);
  });

  it('does not confuse (kid, jti) pairs whose concatenations are equal', async () => {
    const { replay } = store();
    expect(await replay.checkAndSet('key_ab', 'c', T0 + 60_000)).toBe('fresh');
    expect(await replay.checkAndSet('key_a', 'bc', T0 + 60_000)).toBe('fresh');
  });

  it('remembers an entry until its expiry time and forgets it once its bucket has passed', async () => {
    const { clock, replay } = store({ bucketMs: 10_000 });
    const expiresAt = T0 + 61_000;
    await replay.checkAndSet('key_a', 'jti', expiresAt);
    clock.set(expiresAt - 1);
    expect(await replay.checkAndSet('key_a', 'jti', expiresAt)).toBe('replayed');
    clock.set(expiresAt);
    expect(await replay.checkAndSet('key_a', 'jti', expiresAt)).toBe('replayed');
    // The bucket holding expiries in [60 s, 70 s) is dropped as a whole at 70 s.
    clock.set(T0 + 70_000);
    expect(replay.size()).toBe(0);
    expect(await replay.checkAndSet('key_a', 'jti', T0 + 130_000)).toBe('fresh');
  });

  it('never forgets an entry before its expiry, whatever the bucket width', async () => {
    for (const bucketMs of [1, 7, 1_000, 10_000, 60_000]) {
      const { clock, replay } = store({ bucketMs });
      const expiries = [T0 + 1, T0 + 999, T0 + 60_000, T0 + 61_234, T0 + 299_999];
      for (const [i, expiresAt] of expiries.entries()) await replay.checkAndSet('key', `jti-${i}`, expiresAt);
      for (const [i, expiresAt] of expiries.entries()) {
        clock.set(expiresAt - 1);
        expect(await replay.checkAndSet('key', `jti-${i}`, expiresAt), `bucket ${bucketMs}, entry ${i}`).toBe('replayed');
      }
    }
  });

  it('counts only live entries: expired buckets leave the size', async () => {
    const { clock, replay } = store({ bucketMs: 1_000 });
    for (let i = 0; i < 10; i++) await replay.checkAndSet('k', `a${i}`, T0 + 5_000);
    for (let i = 0; i < 5; i++) await replay.checkAndSet('k', `b${i}`, T0 + 50_000);
    expect(replay.size()).toBe(15);
    clock.set(T0 + 6_000);
    expect(replay.size()).toBe(5);
    clock.set(T0 + 51_000);
    expect(replay.size()).toBe(0);
  });

  it('refuses new entries with 503 replay_store_full at capacity, without forgetting live ones', async () => {
    const { clock, replay } = store({ capacity: 3, bucketMs: 1_000 });
    for (const jti of ['a', 'b', 'c']) expect(await replay.checkAndSet('k', jti, T0 + 10_000)).toBe('fresh');
    const error = await replay.checkAndSet('k', 'd', T0 + 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect(error).toMatchObject({ code: 'replay_store_full', status: 503 });
    for (const jti of ['a', 'b', 'c']) expect(await replay.checkAndSet('k', jti, T0 + 10_000)).toBe('replayed');
    expect(replay.size()).toBe(3);
    clock.set(T0 + 11_000);
    expect(await replay.checkAndSet('k', 'd', T0 + 20_000)).toBe('fresh');
  });

  it('gives exactly one fresh among many concurrent check-and-sets of one pair', async () => {
    const { replay } = store();
    const verdicts = await Promise.all(Array.from({ length: 200 }, () => replay.checkAndSet('key_a', 'same', T0 + 60_000)));
    expect(verdicts.filter((v) => v === 'fresh')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'replayed')).toHaveLength(199);
  });

  it('holds many entries across growth of its tables without losing any', async () => {
    const { replay } = store({ capacity: 100_000 });
    for (let i = 0; i < 20_000; i++) expect(replay.checkAndSetSync('k', `j${i}`, T0 + 60_000 + (i % 7) * 10_000)).toBe('fresh');
    for (let i = 0; i < 20_000; i += 97) expect(replay.checkAndSetSync('k', `j${i}`, T0 + 60_000)).toBe('replayed');
    expect(replay.size()).toBe(20_000);
  });
});
