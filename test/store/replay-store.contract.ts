import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import type { ReplayStore } from '../../src/store/types.js';

export interface OpenedReplayStore {
  store: ReplayStore;
  clock: ManualClock;
  /** Lets `ms` pass for the store: the manual clock, plus real time for a store that expires by itself. */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

let run = 0;

/** The behaviour every ReplayStore shares (memory; Redis when configured). */
export function replayStoreContract(engine: string, open: () => Promise<OpenedReplayStore>): void {
  describe(`ReplayStore contract on ${engine}`, () => {
    let opened: OpenedReplayStore;
    let replay: ReplayStore;
    // Key ids unique per test, so the tests share one store without seeing each other's entries.
    const kid = (name: string) => `key_${name}_${run}`;
    beforeAll(async () => {
      opened = await open();
      replay = opened.store;
    });
    afterAll(async () => opened?.close());

    const now = () => opened.clock.now();

    it('answers fresh the first time and replayed after, whatever expiry the replay asks for', async () => {
      run++;
      expect(await replay.checkAndSet(kid('a'), 'jti-1', now() + 60_000, now())).toBe('fresh');
      expect(await replay.checkAndSet(kid('a'), 'jti-1', now() + 60_000, now())).toBe('replayed');
      expect(await replay.checkAndSet(kid('a'), 'jti-1', now() + 999_000, now())).toBe('replayed');
    });

    it('keeps key ids apart: one jti under two keys is two entries', async () => {
      run++;
      expect(await replay.checkAndSet(kid('a'), 'jti', now() + 60_000, now())).toBe('fresh');
      expect(await replay.checkAndSet(kid('b'), 'jti', now() + 60_000, now())).toBe('fresh');
    });

    it('gives exactly one fresh among many concurrent check-and-sets of one pair', async () => {
      run++;
      const verdicts = await Promise.all(Array.from({ length: 100 }, () => replay.checkAndSet(kid('a'), 'same', now() + 60_000, now())));
      expect(verdicts.filter((v) => v === 'fresh')).toHaveLength(1);
      expect(verdicts.filter((v) => v === 'replayed')).toHaveLength(99);
    });

    it('answers fresh for every one of many distinct jtis sent at once', async () => {
      run++;
      const verdicts = await Promise.all(Array.from({ length: 100 }, (_, i) => replay.checkAndSet(kid('a'), `jti-${i}`, now() + 60_000, now())));
      expect(verdicts.every((v) => v === 'fresh')).toBe(true);
    });

    it('remembers an entry until its expiry and forgets it after', async () => {
      run++;
      expect(await replay.checkAndSet(kid('a'), 'short', now() + 200, now())).toBe('fresh');
      expect(await replay.checkAndSet(kid('a'), 'short', now() + 200, now())).toBe('replayed');
      await opened.pass(20_000);
      expect(await replay.checkAndSet(kid('a'), 'short', now() + 60_000, now())).toBe('fresh');
    });

    it('counts the live entries it wrote in size()', async () => {
      run++;
      const before = replay.size();
      await replay.checkAndSet(kid('s'), 'one', now() + 60_000, now());
      await replay.checkAndSet(kid('s'), 'two', now() + 60_000, now());
      await replay.checkAndSet(kid('s'), 'one', now() + 60_000, now());
      expect(replay.size()).toBe(before + 2);
    });
  });
}
