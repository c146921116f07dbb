import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LastUsedRecorder } from '../../src/server/last-used.js';
import { silentLogger } from '../../src/server/logger.js';
import type { CredentialStore } from '../../src/store/types.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('last-used times over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('are coalesced in memory: many requests, no write until the flush, then one batch with the latest time per key', async () => {
    const record = vi.spyOn(h.stores.credentials, 'recordLastUsed');
    const alice = await h.addConsumer('alice');
    const bob = await h.addConsumer('bob');
    for (let i = 0; i < 5; i++) {
      h.clock.set(T0 + i * 1_000);
      expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid })).status).toBe(200);
    }
    h.clock.set(T0 + 2_500);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: bob.pair, kid: bob.kid })).status).toBe(200);
    expect(record).not.toHaveBeenCalled();
    expect((await h.stores.credentials.findKey(alice.kid))?.key.lastUsedAt).toBeNull();

    await h.signet.server.lastUsed.flush();
    expect(record).toHaveBeenCalledOnce();
    expect(record.mock.calls[0]![0]).toEqual(
      new Map([
        [alice.kid, T0 + 4_000],
        [bob.kid, T0 + 2_500],
      ]),
    );
    expect((await h.stores.credentials.findKey(alice.kid))?.key.lastUsedAt).toBe(T0 + 4_000);
    expect((await h.stores.credentials.findKey(bob.kid))?.key.lastUsedAt).toBe(T0 + 2_500);

    await h.signet.server.lastUsed.flush();
    expect(record).toHaveBeenCalledOnce();
    record.mockRestore();
  });

  it('are not touched by refused requests', async () => {
    const carol = await h.addConsumer('carol');
    await h.send({ method: 'GET', path: '/v1/whoami', signed: { audience: 'urn:other' }, pair: carol.pair, kid: carol.kid });
    await h.signet.server.lastUsed.flush();
    expect((await h.stores.credentials.findKey(carol.kid))?.key.lastUsedAt).toBeNull();
  });

  it('are flushed when the app closes', async () => {
    const dave = await h.addConsumer('dave');
    h.clock.set(T0 + 9_000);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: dave.pair, kid: dave.kid })).status).toBe(200);
    await h.signet.close();
    expect((await h.stores.credentials.findKey(dave.kid))?.key.lastUsedAt).toBe(T0 + 9_000);
  });
});

describe('LastUsedRecorder', () => {
  function fakeStore(write: (batch: ReadonlyMap<string, number>) => Promise<void>): CredentialStore {
    return { recordLastUsed: write } as unknown as CredentialStore;
  }

  it('keeps the latest time per key, whatever order the touches come in', async () => {
    const batches: Array<ReadonlyMap<string, number>> = [];
    const recorder = new LastUsedRecorder(
      fakeStore(async (b) => void batches.push(b)),
      silentLogger(),
      1_000,
    );
    recorder.touch('k', 30);
    recorder.touch('k', 10);
    recorder.touch('k', 20);
    await recorder.flush();
    expect(batches).toEqual([new Map([['k', 30]])]);
  });

  it('keeps the times of a failed write for the next flush', async () => {
    const write = vi.fn<(b: ReadonlyMap<string, number>) => Promise<void>>().mockRejectedValueOnce(new Error('database is locked')).mockResolvedValue();
    const recorder = new LastUsedRecorder(fakeStore(write), silentLogger(), 1_000);
    recorder.touch('a', 1);
    await recorder.flush();
    recorder.touch('b', 2);
    await recorder.flush();
    expect(write).toHaveBeenCalledTimes(2);
    expect(write.mock.calls[1]![0]).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
  });

  it('finishes a write already in flight before stop() resolves, so closing the database loses nothing', async () => {
    const gate = deferred();
    const written: Array<ReadonlyMap<string, number>> = [];
    let calls = 0;
    const recorder = new LastUsedRecorder(
      fakeStore(async (batch) => {
        if (++calls === 1) await gate.promise;
        written.push(batch);
      }),
      silentLogger(),
      1_000,
    );
    recorder.touch('a', 1);
    const timerFlush = recorder.flush();
    recorder.touch('b', 2);
    let stopped = false;
    const stopping = recorder.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    gate.resolve();
    await Promise.all([timerFlush, stopping]);
    expect(new Map(written.flatMap((batch) => [...batch]))).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
  });

  it('writes on its interval once started, and stop() ends the timer', async () => {
    vi.useFakeTimers();
    try {
      const write = vi.fn(async () => {});
      const recorder = new LastUsedRecorder(fakeStore(write), silentLogger(), 1_000);
      recorder.start();
      recorder.touch('a', 1);
      await vi.advanceTimersByTimeAsync(999);
      expect(write).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(write).toHaveBeenCalledOnce();
      await recorder.stop();
      recorder.touch('b', 2);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(write).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });
});
