/** Sends a batch of items as one command; answers one result per item, in the same order. */
export type SendBatch<Item, Result> = (items: Item[]) => Promise<Result[]>;

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Gathers the Redis calls of concurrent requests into one command per round trip. A call made
 * while no batch is out leaves at the end of the current tick, with every call made in that tick;
 * a call made while a batch is out waits for its answer and leaves in the next batch, with every
 * call made meanwhile. So each call still reaches Redis after it was made (a read never answers
 * with a value older than its call), one round trip carries the work of all the requests that
 * arrived during the last one, and at low load a call leaves at once, alone. The command itself
 * must be atomic (one script, or one command) if its items must not interleave with others.
 *
 * A batch that fails fails each of its calls with the same error; every caller turns it into its
 * own answer. Batches hold at most `maxBatch` items (a script runs alone on Redis for its whole
 * length): a longer queue leaves as several commands at once.
 */
export class CommandBatcher<Item, Result> {
  private queue: Waiting<Item, Result>[] = [];
  private outstanding = 0;
  private flushScheduled = false;

  constructor(
    private readonly send: SendBatch<Item, Result>,
    private readonly maxBatch = 256,
  ) {}

  call(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.outstanding === 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queue;
    if (queued.length === 0) return;
    this.queue = [];
    for (let start = 0; start < queued.length; start += this.maxBatch) this.dispatch(queued.slice(start, start + this.maxBatch));
  }

  private dispatch(batch: Waiting<Item, Result>[]): void {
    this.outstanding += 1;
    let sending: Promise<Result[]>;
    try {
      sending = this.send(batch.map((waiting) => waiting.item));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending
      .then(
        (results) => {
          if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} calls was answered with ${results.length} results`);
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .catch((error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      })
      .finally(() => {
        this.outstanding -= 1;
        // The calls made while this batch was out leave together, now.
        if (this.outstanding === 0) this.flush();
      });
  }
}
