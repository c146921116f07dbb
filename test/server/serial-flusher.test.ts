import { describe, expect, it } from 'vitest';
import { SerialFlusher } from '../../src/server/serial-flusher.js';

describe('SerialFlusher', () => {
  it('runs flushes one after another, says one is queued until it starts, and writes once more on stop', async () => {
    const log: string[] = [];
    let release: () => void = () => {};
    let runs = 0;
    const flusher = new SerialFlusher(async () => {
      const run = ++runs;
      log.push(`start ${run}`);
      if (run === 1) await new Promise<void>((resolve) => (release = resolve));
      log.push(`end ${run}`);
    }, 60_000);
    expect(flusher.queued).toBe(false);
    const first = flusher.flush();
    await Promise.resolve();
    const second = flusher.flush();
    expect(flusher.queued).toBe(true); // the second waits for the first
    release();
    await Promise.all([first, second]);
    expect(flusher.queued).toBe(false);
    await flusher.stop();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
