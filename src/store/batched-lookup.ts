/**
 * Reads rows by id, many ids to a query: a read asked for while `maxInFlight` queries are running
 * waits and leaves with every other id that came in meanwhile, in one query. An idle lookup goes at
 * once, alone, so it never waits for company.
 *
 * Why: SQLite has one connection, and each query on it costs at least one turn of the event loop
 * (the statement runs on the thread pool and its answer comes back as an I/O callback). Under load
 * a turn is long, and a burst of first lookups read one after another queued behind each other
 * for tens of turns; read together, the burst costs one or two. On PostgreSQL it saves the pool's
 * connections and round trips the same way. DataLoader batches what is asked within one tick, but
 * under load the lookups arrive in separate I/O callbacks, so its batches would be of one id each;
 * batching on "what waits while a query runs" is the part that matters here.
 */
export class BatchedLookup<T> {
  private waiting = new Map<string, Array<{ resolve: (found: T | undefined) => void; reject: (error: unknown) => void }>>();
  private running = 0;

  constructor(
    /** Reads the given ids (distinct); ids absent from the answer do not exist. */
    private readonly readMany: (ids: string[]) => Promise<ReadonlyMap<string, T>>,
    private readonly options: {
      maxBatch: number;
      maxInFlight: number;
      /**
       * Reads one id on the calling thread, or answers undefined when it cannot now. Tried only
       * while no query runs (so it never reads beside one: src/store/sqlite-sync-read.ts says why),
       * for a lookup that arrives then and for the ids left waiting when the last query ends.
       */
      readNow?: (id: string) => { found: T | undefined } | undefined;
    },
  ) {}

  find(id: string): Promise<T | undefined> {
    if (this.running === 0 && this.waiting.size === 0 && this.options.readNow !== undefined) {
      let now: { found: T | undefined } | undefined;
      try {
        now = this.options.readNow(id);
      } catch (error) {
        // A row that cannot be decoded fails this lookup as the asynchronous read would: rejected.
        return Promise.reject(error as Error);
      }
      if (now !== undefined) return Promise.resolve(now.found);
    }
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(id);
      if (waiters !== undefined) waiters.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      this.startQueries();
    });
  }

  private startQueries(): void {
    while (this.running < this.options.maxInFlight && this.waiting.size > 0) {
      const batch = this.takeBatch();
      this.running++;
      this.readMany([...batch.keys()])
        .then(
          (found) => {
            for (const [id, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(id));
          },
          (error: unknown) => {
            for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
          },
        )
        .finally(() => {
          this.running--;
          this.answerWaitingNow();
          this.startQueries();
        });
    }
  }

  /** Without it, under steady load each query's waiters would make the next query, and readNow would never be tried again. */
  private answerWaitingNow(): void {
    if (this.running > 0 || this.options.readNow === undefined) return;
    for (const [id, waiters] of this.waiting) {
      let now: { found: T | undefined } | undefined;
      try {
        now = this.options.readNow(id);
      } catch (error) {
        // Rejected for its own waiters only; a throw here would escape as an unhandled rejection.
        this.waiting.delete(id);
        for (const waiter of waiters) waiter.reject(error);
        continue;
      }
      if (now === undefined) return;
      this.waiting.delete(id);
      for (const waiter of waiters) waiter.resolve(now.found);
    }
  }

  private takeBatch(): Map<string, Array<{ resolve: (found: T | undefined) => void; reject: (error: unknown) => void }>> {
    if (this.waiting.size <= this.options.maxBatch) {
      const all = this.waiting;
      this.waiting = new Map();
      return all;
    }
    const batch = new Map();
    for (const [id, waiters] of this.waiting) {
      if (batch.size === this.options.maxBatch) break;
      batch.set(id, waiters);
      this.waiting.delete(id);
    }
    return batch;
  }
}
