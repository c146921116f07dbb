import { describe, expect, it } from 'vitest';
import { CommandBatcher } from '../../src/store/command-batcher.js';

/** A send that records its batches and answers each only when told to. */
function controlledSend() {
  const batches: { items: number[]; answer(results: string[]): void; fail(error: Error): void }[] = [];
  const send = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, answer: resolve, fail: reject });
    });
  return { batches, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CommandBatcher', () => {
  it('sends the calls made in one tick as one batch and answers each call with its own result', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send);
    const answers = Promise.all([1, 2, 3].map((n) => batcher.call(n)));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3]]);
    batches[0]!.answer(['one', 'two', 'three']);
    expect(await answers).toEqual(['one', 'two', 'three']);
  });

  it('sends a call made while no batch is out at the end of its tick, alone', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send);
    const answer = batcher.call(7);
    expect(batches).toHaveLength(0);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[7]]);
    batches[0]!.answer(['seven']);
    expect(await answer).toBe('seven');
  });

  it('holds the calls made while a batch is out and sends them together once it is answered, never before', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send);
    const first = batcher.call(1);
    await tick();
    const later = [batcher.call(2), batcher.call(3)];
    await tick();
    const last = batcher.call(4);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    batches[0]!.answer(['a']);
    expect(await first).toBe('a');
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.answer(['b', 'c', 'd']);
    expect(await Promise.all([...later, last])).toEqual(['b', 'c', 'd']);
  });

  it('fails every call of a failed batch with its error, and sends the next calls as usual', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send);
    const failing = [batcher.call(1), batcher.call(2)].map((p) => p.catch((e: unknown) => e));
    await tick();
    const error = new Error('connection lost');
    batches[0]!.fail(error);
    expect(await Promise.all(failing)).toEqual([error, error]);
    const next = batcher.call(3);
    await tick();
    batches[1]!.answer(['fine']);
    expect(await next).toBe('fine');
  });

  it('fails every call when a send throws instead of returning a promise', async () => {
    const error = new Error('refused at once');
    const batcher = new CommandBatcher<number, string>(() => {
      throw error;
    });
    await expect(Promise.all([batcher.call(1), batcher.call(2)])).rejects.toBe(error);
  });

  it('fails every call of a batch answered with the wrong number of results rather than answering one with another’s', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send);
    const calls = [batcher.call(1), batcher.call(2)].map((p) => p.catch((e: unknown) => e));
    await tick();
    batches[0]!.answer(['only one']);
    const results = await Promise.all(calls);
    expect(results.every((r) => r instanceof Error && /2 calls was answered with 1 result/.test(r.message))).toBe(true);
  });

  it('splits a longer queue into batches of at most maxBatch calls, sent at once', async () => {
    const { batches, send } = controlledSend();
    const batcher = new CommandBatcher(send, 2);
    const answers = Promise.all([1, 2, 3, 4, 5].map((n) => batcher.call(n)));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1, 2], [3, 4], [5]]);
    for (const batch of batches) batch.answer(batch.items.map(String));
    expect(await answers).toEqual(['1', '2', '3', '4', '5']);
  });
});
