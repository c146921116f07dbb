import { availableParallelism } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Where Ed25519 signatures are verified: always on libuv's thread pool, never, or while the main thread is busy. */
type ThreadPoolSetting = boolean | 'when-busy';

interface BusyLoopOptions {
  /** Share of the last interval the event loop spent running code above which verification moves to the pool. */
  threshold?: number;
  /** How often the share is measured again. */
  intervalMs?: number;
  now?: () => number;
  /** The event loop's time spent idle and active so far, in ms (Node's, injected by tests). */
  loopTimes?: () => Pick<EventLoopUtilization, 'idle' | 'active'>;
  /** CPUs this process may run on now (Node's availableParallelism, which honours the affinity mask; injected by tests). */
  parallelism?: () => number;
}

/** At saturation the loop is busy nearly all the time; at half load well under this. */
const BUSY_THRESHOLD = 0.7;
const MEASURE_EVERY_MS = 100;

/**
 * Whether to hand the next verification to the thread pool. The hand-off frees the main thread,
 * which pays when the main thread is what limits throughput; but it costs two thread wake-ups per
 * request (to the pool thread and back), and on cores shared with other processes each wake-up
 * may wait for a time slice: with the gateway, its upstream and the load on two shared cores, that
 * put tens of milliseconds on the Ed25519 p99 at half load (docs/performance.md). So with
 * `when-busy` a request is verified on the main thread unless the event loop was busy for most of
 * the last interval, and only while the process may run on more than one CPU: the CPU count is read
 * again with every measurement, because a process pinned to one core after it started (taskset,
 * a cpuset changed by the orchestrator) gains nothing from the pool and pays both wake-ups on the
 * core its main thread needs (pinned, that cost Signet a fifth of its throughput).
 */
export function threadPoolPolicy(setting: ThreadPoolSetting, options: BusyLoopOptions = {}): () => boolean {
  if (setting !== 'when-busy') return () => setting;
  const threshold = options.threshold ?? BUSY_THRESHOLD;
  const intervalMs = options.intervalMs ?? MEASURE_EVERY_MS;
  const now = options.now ?? (() => performance.now());
  const loopTimes = options.loopTimes ?? (() => performance.eventLoopUtilization());
  const parallelism = options.parallelism ?? availableParallelism;
  let since = loopTimes();
  let measuredAt = now();
  let busy = false;
  return () => {
    const at = now();
    if (at - measuredAt >= intervalMs) {
      const current = loopTimes();
      const active = current.active - since.active;
      const total = active + current.idle - since.idle;
      busy = total > 0 && active / total >= threshold && parallelism() > 1;
      since = current;
      measuredAt = at;
    }
    return busy;
  };
}
