import Koa from 'koa';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Stores } from '../store/factory.js';
import type { ServerContext } from './context.js';
import { KeyCache } from './key-cache.js';
import { LastUsedRecorder } from './last-used.js';
import type { Logger } from './logger.js';
import { errorHandler } from './middleware/errors.js';
import { rawBody } from './middleware/raw-body.js';
import { requestId } from './middleware/request-id.js';
import { createProofVerifier } from './proof.js';
import { coreRoutes } from './routes/core.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import type { SignetState } from './state.js';
import { createVerifier } from './verifier.js';

export interface AppDeps {
  config: Readonly<Config>;
  stores: Stores;
  clock: Clock;
  logger: Logger;
}

export interface SignetApp {
  app: Koa<SignetState>;
  server: ServerContext;
  /** Flushes buffered writes; call before closing the stores. */
  close(): Promise<void>;
}

/** Builds the Signet Koa app from injected dependencies; opens no port and starts no timer itself. */
export function createApp(deps: AppDeps): SignetApp {
  const { config, stores, clock, logger } = deps;
  const keyCache = new KeyCache({
    store: stores.credentials,
    clock,
    size: config.keyCacheSize,
    ttlMs: config.keyCacheTtlMs,
    negativeTtlMs: config.negativeCacheTtlMs,
  });
  const lastUsed = new LastUsedRecorder(stores.credentials, logger, config.lastUsedFlushMs);
  const verify = createVerifier({
    config,
    keys: keyCache,
    replay: stores.replay,
    clock,
    onVerified: (verified, now) => lastUsed.touch(verified.key.id, now),
  });
  const verifyProof = createProofVerifier({ config, replay: stores.replay, clock });
  const server: ServerContext = { config, stores, clock, logger, keyCache, lastUsed, verify, verifyProof };

  const app = new Koa<SignetState>();
  app.use(requestId());
  app.use(errorHandler({ clock, logger }));
  app.use(rawBody(config.bodyLimitBytes));
  const routes = coreRoutes(server);
  app.use(routes.routes());
  app.use(routes.allowedMethods());
  for (const router of lifecycleRoutes(server)) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // Koa prints unhandled errors itself; ours are all handled above, so keep its output quiet.
  app.silent = true;

  return { app, server, close: () => lastUsed.stop() };
}
