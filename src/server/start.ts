import type { Server } from 'node:http';
import { collectDefaultMetrics } from 'prom-client';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { createStores, describeDatabase } from '../store/factory.js';
import { createApp, type SignetApp } from './app.js';
import { workerMetrics } from './cluster.js';
import { createDrainingServer, type DrainingServer } from './draining-http.js';
import { createLogger, type Logger } from './logger.js';

export interface RunningServer {
  url: string;
  port: number;
  signet: SignetApp;
  http: Server;
  /**
   * Stops accepting, closes idle and half-sent connections, lets requests in flight finish (up to
   * SIGNET_SHUTDOWN_GRACE_MS), flushes buffers and closes the database.
   */
  close(): Promise<void>;
}

function listen(http: Server, config: Readonly<Config>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
}

/** Opens the stores, runs migrations if configured (else refuses a database with pending ones), and listens. */
export async function startServer(config: Readonly<Config>, options: { clock?: Clock; logger?: Logger } = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const stores = await createStores(config, clock, { log: logger });
  let signet: SignetApp | undefined;
  let http: Server;
  let server: DrainingServer;
  try {
    const sharedMetrics = workerMetrics();
    signet = createApp({ config, stores, clock, logger, ...(sharedMetrics !== undefined ? { workerMetrics: sharedMetrics } : {}) });
    signet.server.lastUsed.start();
    signet.server.usage.start();
    if (signet.server.metrics !== undefined) collectDefaultMetrics({ register: signet.server.metrics.registry });
    server = createDrainingServer(signet.app.callback(), { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs, now: () => clock.now() });
    http = server.http;
    await listen(http, config);
  } catch (error) {
    // A server that cannot start (port taken, bad settings) must not keep the process alive with an
    // open database and running timers: `signet serve` would hang instead of exiting with the error.
    await signet?.close();
    await stores.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  logger.info({ port, host: config.host, db: describeDatabase(config), shared_state: stores.engines.shared, public_origin: config.publicOrigin, pid: process.pid }, 'signet listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    port,
    signet,
    http,
    close: () =>
      (closing ??= (async () => {
        await server.drain(config.shutdownGraceMs);
        await signet.close();
        await stores.close();
      })()),
  };
}
