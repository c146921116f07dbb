import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import { openDatabase } from '../store/factory.js';
import { migrateToLatest } from '../store/migrations.js';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './metrics.js';
import { loadMasterKeyring } from './secrets/master-keyring.js';

/** The message a worker sends its primary once it listens. */
interface ListeningMessage {
  signet: 'listening';
  url: string;
}

function isListening(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as Partial<ListeningMessage>).signet === 'listening';
}

/** True in a process started by `runWorkers`. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** Called by a worker once its server listens. */
export function reportListening(url: string): void {
  process.send?.({ signet: 'listening', url } satisfies ListeningMessage);
}

/** A worker asks the primary for every worker's metrics; the primary answers with the text. */
interface MetricsRequest {
  signet: 'metrics?';
  id: number;
}
interface MetricsAnswer {
  signet: 'metrics';
  id: number;
  text?: string;
  error?: string;
}

const isMetricsRequest = (message: unknown): message is MetricsRequest => (message as Partial<MetricsRequest> | null)?.signet === 'metrics?';
const isMetricsAnswer = (message: unknown): message is MetricsAnswer => (message as Partial<MetricsAnswer> | null)?.signet === 'metrics';

/** Longest wait for the primary to gather every worker's metrics. */
const METRICS_TIMEOUT_MS = 10_000;

/**
 * In a worker: its metrics label and the way to every worker's figures. A scrape reaches one
 * worker (the kernel hands the connection to any of them); that worker asks the primary, which
 * gathers each worker's registry with prom-client's AggregatorRegistry and answers the text.
 * Undefined outside `--workers`.
 */
export function workerMetrics(): WorkerMetrics | undefined {
  const worker = cluster.worker;
  if (worker === undefined) return undefined;
  return {
    worker: String(worker.id),
    share: (registry: Registry) => {
      // prom-client's worker side answers the primary's requests with these registries; its
      // listener is installed by the first AggregatorRegistry built in the process.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
      let next = 0;
      return () =>
        new Promise<string>((resolve, reject) => {
          const id = ++next;
          const timer = setTimeout(() => {
            process.off('message', onAnswer);
            reject(new Error("the primary did not gather the workers' metrics in time"));
          }, METRICS_TIMEOUT_MS);
          const onAnswer = (message: unknown) => {
            if (!isMetricsAnswer(message) || message.id !== id) return;
            clearTimeout(timer);
            process.off('message', onAnswer);
            if (message.text !== undefined) resolve(message.text);
            else reject(new Error(`gathering the workers' metrics failed: ${message.error ?? 'unknown'}`));
          };
          process.on('message', onAnswer);
          process.send?.({ signet: 'metrics?', id } satisfies MetricsRequest);
        });
    },
  };
}

/**
 * Called by a worker that has closed everything, so the channel to the primary does not keep it
 * alive. Through the worker object rather than process.disconnect(): Node then lets the process end
 * with its own exit code (a worker that could not start says why with it) instead of forcing 0.
 */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) cluster.worker?.disconnect();
}

export interface WorkerPool {
  /** Where the workers listen (they share one port). */
  url: string;
  /** Stops every worker (SIGTERM, then SIGKILL after `graceMs`) and resolves when all have exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the pool has stopped for good (stop() or a worker that cannot stay up). */
  done: Promise<void>;
}

/** Restart back-off after a worker dies: 0.5 s doubling up to 10 s, reset after a minute of uptime. */
const RESTART_DELAY_MS = { first: 500, max: 10_000, stableAfter: 60_000 };

/**
 * Runs `workers` copies of this program (node:cluster: same script, same arguments, same
 * environment) that share one listening port; the kernel spreads connections among them. The
 * primary does what must happen once before they start: migrations, and creating the development
 * master key file (two workers creating it at once would each keep a different key). Workers start
 * with SIGNET_MIGRATE_ON_START=false. A worker that dies after starting is replaced (with a
 * back-off); one that fails to start stops the whole pool with its error, so a bad setting is not
 * retried for ever. Shared state between workers is Redis's: loadConfig refuses more than one
 * worker without it.
 */
export async function runWorkers(config: Readonly<Config>, logger: Logger, workers: number): Promise<WorkerPool> {
  if (!cluster.isPrimary) throw new Error('runWorkers must be called in the primary process');
  if (config.migrateOnStart) {
    const db = openDatabase(config, logger);
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  }
  loadMasterKeyring(config, logger);

  const live = new Set<Worker>();
  let stopping = false;
  /** Until every first worker listens, an exit is a failure to start (reported by waitUntilListening), not a crash to recover from. */
  let starting = true;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let restartDelay = RESTART_DELAY_MS.first;

  const aggregator = new AggregatorRegistry();
  const fork = (): Worker => {
    const worker = cluster.fork({ SIGNET_MIGRATE_ON_START: 'false' });
    live.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isMetricsRequest(message)) return;
      const answer = (fields: Partial<MetricsAnswer>) => {
        if (worker.isConnected()) worker.send({ signet: 'metrics', id: message.id, ...fields } satisfies MetricsAnswer);
      };
      aggregator.clusterMetrics().then(
        (text) => answer({ text }),
        (error: unknown) => answer({ error: String((error as Error)?.message ?? error) }),
      );
    });
    const startedAt = Date.now();
    worker.once('exit', (code, signal) => {
      live.delete(worker);
      if (stopping) {
        if (live.size === 0) resolveDone();
        return;
      }
      if (starting) return;
      if (Date.now() - startedAt > RESTART_DELAY_MS.stableAfter) restartDelay = RESTART_DELAY_MS.first;
      logger.error({ pid: worker.process.pid, code, signal, restart_in_ms: restartDelay }, 'signet worker died; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelay).unref();
      restartDelay = Math.min(restartDelay * 2, RESTART_DELAY_MS.max);
    });
    return worker;
  };

  const stop = async (graceMs = 30_000): Promise<void> => {
    stopping = true;
    if (live.size === 0) {
      resolveDone();
      return done;
    }
    for (const worker of live) worker.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const worker of live) worker.process.kill('SIGKILL');
    }, graceMs);
    force.unref();
    await done;
    clearTimeout(force);
  };

  const started = Array.from({ length: workers }, () => fork());
  let url: string;
  try {
    const urls = await Promise.all(started.map(waitUntilListening));
    url = urls[0]!;
    starting = false;
  } catch (error) {
    await stop(5_000);
    throw error;
  }
  return { url, stop, done };
}

/** A worker ended before it listened; it has already said why on the shared stderr. */
export class WorkerStartError extends Error {
  constructor(readonly exitCode: number | null) {
    super(`a worker exited with code ${exitCode} before it listened (its error is above)`);
  }
}

function waitUntilListening(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isListening(message)) return;
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      resolve(message.url);
    };
    const onExit = (code: number | null) => {
      worker.off('message', onMessage);
      reject(new WorkerStartError(code));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
