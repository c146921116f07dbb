import { availableParallelism } from 'node:os';
import { loadConfig } from '../../config.js';
import { isWorker, leaveCluster, reportListening, runWorkers, WorkerStartError } from '../../server/cluster.js';
import { createLogger } from '../../server/logger.js';
import { startServer } from '../../server/start.js';
import { describeDatabase } from '../../store/factory.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { parsePort } from '../flags.js';

function parseWorkers(text: string): number {
  if (text === 'auto') return availableParallelism();
  const workers = Number(text);
  if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new UsageError(`--workers must be 1 to 1024 or "auto", not "${text}".`);
  return workers;
}

/**
 * Resolves on the first SIGINT or SIGTERM. With `absorbRepeats`, later signals are ignored rather
 * than killing the process mid-shutdown (Ctrl-C reaches a worker directly and again through its
 * primary); otherwise a second signal ends the process at once, as usual.
 */
function untilSignalled(absorbRepeats = false): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    const on = absorbRepeats ? process.on.bind(process) : process.once.bind(process);
    on('SIGINT', stop);
    on('SIGTERM', stop);
  });
}

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Start the Signet server',
  usage: `signet serve [--port N] [--host ADDR] [--db FILE] [--workers N]

Starts the server on the embedded SQLite database (created on first start, migrated unless
SIGNET_MIGRATE_ON_START=false), or on PostgreSQL when SIGNET_DATABASE_URL is set. Settings come
from SIGNET_* variables; flags override them (docs/configuration.md).

  --port N      port to listen on (SIGNET_PORT, default 3000; 0 picks a free port)
  --host ADDR   address to listen on (SIGNET_HOST, default 127.0.0.1)
  --db FILE     SQLite database file (SIGNET_DB, default ./data/signet.sqlite)
  --workers N   processes sharing the port, to use every core (SIGNET_WORKERS, default 1;
                "auto" is one per core). More than one needs SIGNET_REDIS_URL, so that the
                replay cache, rate limits and revocations are shared (docs/deployment.md)`,
  options: { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, workers: { type: 'string' } },
  async run({ values, io }) {
    const workers = values.workers !== undefined ? parseWorkers(String(values.workers)) : undefined;
    const config = loadConfig({
      ...(values.port !== undefined ? { port: parsePort(String(values.port)) } : {}),
      ...(values.host !== undefined ? { host: String(values.host) } : {}),
      ...(values.db !== undefined ? { db: String(values.db) } : {}),
      ...(workers !== undefined ? { workers } : {}),
    });
    const database = describeDatabase(config);

    if (config.workers > 1 && !isWorker()) {
      // Listening for signals before the workers start: a stop during start-up waits for them and stops them all.
      const signalled = untilSignalled(true);
      let pool;
      try {
        pool = await runWorkers(config, createLogger(config.logLevel), config.workers);
      } catch (error) {
        // A worker refused to start with a usage answer (the port is taken): it printed the sentence
        // and the way out, so the primary adds no "unexpected failure" of its own.
        if (error instanceof WorkerStartError && error.exitCode === EXIT.usage) return EXIT.usage;
        throw error;
      }
      io.stderr.write(`signet listening on ${pool.url} with ${config.workers} workers (public origin ${config.publicOrigin}, database ${database}, shared state in Redis)\n`);
      await Promise.race([signalled, pool.done]);
      // Each worker drains within the grace period itself; the margin covers flushing and closing the stores.
      await pool.stop(config.shutdownGraceMs + 10_000);
      return EXIT.ok;
    }

    // Listen for the signal before starting: a SIGTERM that arrives while the server starts must
    // still shut it down cleanly, not kill the process with the default action.
    const signalled = untilSignalled(isWorker());
    let running;
    try {
      running = await startServer(config);
    } catch (error) {
      // A worker that cannot start must end, and its channel to the primary would keep it alive.
      if (isWorker()) leaveCluster();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      io.stderr.write(
        `signet serve: port ${config.port} on ${config.host} is already in use (another "signet serve" running?). Stop that process, or pick a free port with --port N or SIGNET_PORT (--port 0 picks one).\n`,
      );
      return EXIT.usage;
    }
    if (isWorker()) reportListening(running.url);
    else io.stderr.write(`signet listening on ${running.url} (public origin ${config.publicOrigin}, database ${database})\n`);
    await signalled;
    await running.close();
    // A worker's channel to its primary would keep it alive after everything else has closed.
    if (isWorker()) leaveCluster();
    return EXIT.ok;
  },
};
