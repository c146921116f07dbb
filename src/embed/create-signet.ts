import type Koa from 'koa';
import { collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';
import { createRequestVerifier, type RequestVerifier, type VerifierHandle } from '../adapters/verify-request.js';
import { createApp } from '../server/app.js';
import type { ServerContext } from '../server/context.js';
import { createLogger, type Logger } from '../server/logger.js';
import type { SignetState } from '../server/state.js';
import { createStores, type Stores } from '../store/factory.js';

export interface CreateSignetOptions {
  /** Settings over the SIGNET_* environment (docs/configuration.md); explicit values win. */
  config?: Partial<Config>;
  /** Where SIGNET_* variables are read from; default process.env. Pass {} to ignore the environment. */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Default: JSON lines on standard error at SIGNET_LOG_LEVEL (pino). */
  logger?: Logger;
}

/** A Signet verifier living inside a host application. */
export interface Signet extends VerifierHandle {
  config: Readonly<Config>;
  logger: Logger;
  stores: Stores;
  /** Verifier, key cache, rate limiter, usage buffer and metrics, shared by every adapter. */
  server: ServerContext;
  /** Signet's own Koa app (admin and self-service API, portal, /metrics, health), to mount or serve on an admin port. */
  app: Koa<SignetState>;
  /** The framework-free verifier every adapter wraps. */
  verifyRequest: RequestVerifier;
  /** Starts the background tasks (usage and last-used flushing, process metrics). Idempotent. */
  start(): void;
  /** Flushes buffered usage and last-used times, then closes the database and Redis. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds everything Signet needs from configuration: the stores (SQLite by default, PostgreSQL and
 * Redis when configured, migrated unless SIGNET_MIGRATE_ON_START=false), the logger, the verifier
 * with its rate limiter and usage recorder. Opens no port.
 */
export async function createSignet(options: CreateSignetOptions = {}): Promise<Signet> {
  const config = loadConfig(options.config ?? {}, options.env ?? process.env);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const stores = await createStores(config, clock, { log: logger });
  let built: ReturnType<typeof createApp>;
  try {
    built = createApp({ config, stores, clock, logger });
  } catch (error) {
    await stores.close();
    throw error;
  }
  const { app, server } = built;
  let started = false;
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    stores,
    server,
    app,
    verifyRequest: createRequestVerifier(server),
    start() {
      if (started || closing !== undefined) return;
      started = true;
      server.lastUsed.start();
      server.usage.start();
      if (server.metrics !== undefined) collectDefaultMetrics({ register: server.metrics.registry });
    },
    close: () =>
      (closing ??= (async () => {
        await built.close();
        await stores.close();
      })()),
  };
}
