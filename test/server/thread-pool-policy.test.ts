import { describe, expect, it } from 'vitest';
import { threadPoolPolicy } from '../../src/server/thread-pool-policy.js';

/** A fake clock and event loop: `run(activeMs, idleMs)` advances both. */
function fakeLoop() {
  let now = 0;
  const times = { active: 0, idle: 0 };
  return {
    now: () => now,
    loopTimes: () => ({ ...times }),
    run(activeMs: number, idleMs: number) {
      times.active += activeMs;
      times.idle += idleMs;
      now += activeMs + idleMs;
    },
  };
}

describe('threadPoolPolicy', () => {
  it('keeps an explicit true or false for every signature', () => {
    expect(threadPoolPolicy(true)()).toBe(true);
    expect(threadPoolPolicy(false)()).toBe(false);
  });

  it('verifies on the main thread while the loop is mostly idle and on the pool once it was busy for most of the last interval', () => {
    const loop = fakeLoop();
    const onPool = threadPoolPolicy('when-busy', { now: loop.now, loopTimes: loop.loopTimes, intervalMs: 100, threshold: 0.7 });
    expect(onPool()).toBe(false);
    loop.run(40, 60);
    expect(onPool()).toBe(false);
    loop.run(90, 10);
    expect(onPool()).toBe(true);
    loop.run(20, 80);
    expect(onPool()).toBe(false);
  });

  it('measures again only once an interval has passed', () => {
    const loop = fakeLoop();
    const onPool = threadPoolPolicy('when-busy', { now: loop.now, loopTimes: loop.loopTimes, intervalMs: 100, threshold: 0.7 });
    loop.run(95, 5);
    expect(onPool()).toBe(true);
    loop.run(0, 50);
    expect(onPool()).toBe(true);
    loop.run(0, 50);
    expect(onPool()).toBe(false);
  });

  it('stays on the main thread, however busy the loop, while the process may run on one CPU only, and uses the pool again once it may use more', () => {
    const loop = fakeLoop();
    let cpus = 1;
    const onPool = threadPoolPolicy('when-busy', { now: loop.now, loopTimes: loop.loopTimes, parallelism: () => cpus, intervalMs: 100, threshold: 0.7 });
    loop.run(100, 0);
    expect(onPool()).toBe(false);
    cpus = 2;
    loop.run(100, 0);
    expect(onPool()).toBe(true);
    cpus = 1;
    loop.run(100, 0);
    expect(onPool()).toBe(false);
  });
});
