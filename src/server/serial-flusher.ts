/**
 * Runs a batch write on an interval (an unref'd timer, so it never keeps the process alive) and on
 * demand, one run after another: a flush waits for the one before it, so stop() also waits for a
 * flush the timer started.
 */
export class SerialFlusher {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes once more. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** A flush is asked for and has not started yet: what it will write is still coming in. */
  get queued(): boolean {
    return this.waiting > 0;
  }

  /** Resolves when everything asked for before this call is written. */
  flush(): Promise<void> {
    this.waiting++;
    this.writing = this.writing.then(() => {
      this.waiting--;
      return this.write();
    });
    return this.writing;
  }
}
