import { describe, expect, it } from 'vitest';
import { BatchedLookup } from '../../src/store/batched-lookup.js';

/** A readMany whose queries finish only when the test lets them, recording what each one asked for. */
function controlledReads() {
  const queries: { ids: string[]; finish: () => void; fail: (error: Error) => void }[] = [];
  const readMany = (ids: string[]) =>
    new Promise<ReadonlyMap<string, string>>((resolve, reject) => {
      queries.push({ ids, finish: () => resolve(new Map(ids.filter((id) => !id.startsWith('missing')).map((id) => [id, `row ${id}`]))), fail: reject });
    });
  return { queries, readMany };
}

describe('BatchedLookup, reads by id gathered while a query runs', () => {
  it('sends an idle lookup at once, alone', async () => {
    const { queries, readMany } = controlledReads();
    const lookup = new BatchedLookup(readMany, { maxBatch: 10, maxInFlight: 1 });
    const found = lookup.find('a');
    expect(queries.map((q) => q.ids)).toEqual([['a']]);
    queries[0]!.finish();
    expect(await found).toBe('row a');
  });

  it('reads every id asked for while a query runs in one next query, each asker getting its own row', async () => {
    const { queries, readMany } = controlledReads();
    const lookup = new BatchedLookup(readMany, { maxBatch: 10, maxInFlight: 1 });
    const first = lookup.find('a');
    const rest = ['b', 'c', 'missing-d', 'b'].map((id) => lookup.find(id));
    expect(queries).toHaveLength(1);
    queries[0]!.finish();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(queries.map((q) => q.ids)).toEqual([['a'], ['b', 'c', 'missing-d']]);
    queries[1]!.finish();
    expect(await Promise.all(rest)).toEqual(['row b', 'row c', undefined, 'row b']);
  });

  it('never puts more than maxBatch ids in one query, nor runs more than maxInFlight queries', async () => {
    const { queries, readMany } = controlledReads();
    const lookup = new BatchedLookup(readMany, { maxBatch: 2, maxInFlight: 2 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => lookup.find(id));
    expect(queries.map((q) => q.ids)).toEqual([['a'], ['b']]);
    while (queries.some((q) => q.ids.length > 0)) {
      const running = queries.splice(0);
      for (const q of running) {
        expect(q.ids.length).toBeLessThanOrEqual(2);
        q.finish();
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(queries.length).toBeLessThanOrEqual(2);
      if (queries.length === 0) break;
    }
    expect(await Promise.all(all)).toEqual(['row a', 'row b', 'row c', 'row d', 'row e', 'row f']);
  });

  it('fails every lookup of a failed query and serves the next ones afresh', async () => {
    const { queries, readMany } = controlledReads();
    const lookup = new BatchedLookup(readMany, { maxBatch: 10, maxInFlight: 1 });
    const first = lookup.find('a');
    queries[0]!.fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    const again = lookup.find('a');
    expect(queries).toHaveLength(2);
    queries[1]!.finish();
    expect(await again).toBe('row a');
  });
});

describe('BatchedLookup with a read on the calling thread (readNow)', () => {
  it('answers an idle lookup on the calling thread, with no query', async () => {
    const { queries, readMany } = controlledReads();
    const lookup = new BatchedLookup(readMany, { maxBatch: 10, maxInFlight: 1, readNow: (id) => ({ found: id.startsWith('missing') ? undefined : `now ${id}` }) });
    expect(await lookup.find('a')).toBe('now a');
    expect(await lookup.find('missing-b')).toBeUndefined();
    expect(queries).toHaveLength(0);
  });

  it('queries when readNow cannot answer, never calls readNow beside a running query, and answers the waiting ids with it once the query ends', async () => {
    const { queries, readMany } = controlledReads();
    let available = false;
    const askedNow: string[] = [];
    const lookup = new BatchedLookup(readMany, {
      maxBatch: 10,
      maxInFlight: 1,
      readNow: (id) => {
        askedNow.push(id);
        return available ? { found: `now ${id}` } : undefined;
      },
    });
    const first = lookup.find('a');
    expect(queries.map((q) => q.ids)).toEqual([['a']]);
    const waiting = ['b', 'c', 'b'].map((id) => lookup.find(id));
    expect(askedNow).toEqual(['a']);
    available = true;
    queries[0]!.finish();
    expect(await first).toBe('row a');
    expect(await Promise.all(waiting)).toEqual(['now b', 'now c', 'now b']);
    expect(queries).toHaveLength(1);
    expect(askedNow).toEqual(['a', 'b', 'c']);
  });
  it('rejects only the lookups whose row readNow cannot decode, on the calling thread and for ids left waiting, and goes on answering the others', async () => {
    const { queries, readMany } = controlledReads();
    let available = false;
    const lookup = new BatchedLookup(readMany, {
      maxBatch: 10,
      maxInFlight: 1,
      readNow: (id) => {
        if (id.startsWith('corrupt')) throw new Error(`row ${id} cannot be decoded`);
        return available ? { found: `now ${id}` } : undefined;
      },
    });
    await expect(lookup.find('corrupt-a')).rejects.toThrow('row corrupt-a cannot be decoded');
    const first = lookup.find('b');
    const waiting = [lookup.find('corrupt-c'), lookup.find('d')];
    available = true;
    queries[0]!.finish();
    expect(await first).toBe('row b');
    await expect(waiting[0]).rejects.toThrow('row corrupt-c cannot be decoded');
    expect(await waiting[1]).toBe('now d');
    expect(await lookup.find('e')).toBe('now e');
  });
});
