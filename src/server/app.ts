import { discoveryRoutes } from './routes/discovery.js';
import Koa from 'koa';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Stores } from '../store/factory.js';
import type { ServerContext } from './context.js';
import { shareKeyCache } from './cache-events.js';
import { KeyCache } from './key-cache.js';
import { CredentialService } from './credentials/credential-service.js';
import { cacheInvalidation } from './credentials/invalidation.js';
import { LastUsedRecorder } from './last-used.js';
import type { Logger } from './logger.js';
import { createMetrics, type WorkerMetrics } from './metrics.js';
import { authFailureGate } from './middleware/auth-failure-gate.js';
import { errorHandler } from './middleware/errors.js';
import { observe } from './middleware/observe.js';
import { OutageLog } from './outage-log.js';
import { rateLimitHeaders } from './middleware/rate-limit-headers.js';
import { rawBody } from './middleware/raw-body.js';
import { requestId } from './middleware/request-id.js';
import { createProofVerifier } from './proof.js';
import { coreRoutes } from './routes/core.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { metricsRoutes } from './routes/metrics.js';
import { portalRoutes } from './routes/portal.js';
import { usageRoutes } from './routes/usage.js';
import { withRateLimit } from './rate-limit/admission.js';
import { countFreshTokens } from './rate-limit/fresh-token-counting.js';
import { AuthFailureLimiter } from './rate-limit/auth-failures.js';
import { RateLimiter } from './rate-limit/limiter.js';
import { UsageRecorder } from './usage/recorder.js';
import type { SignetState } from './state.js';
import { claimRules, createVerifier } from './verifier.js';
import { createAgentCheck } from './web-bot-auth.js';
import { threadPoolPolicy } from './thread-pool-policy.js';
import { consumerDirectoryKeys } from './consumer-directory-keys.js';
import { ISSUED_KEY_ID_PATTERN } from '../protocol/ids.js';
import type { KeyDirectoryChange } from '../store/types.js';
import { DirectoryCache } from '../key-directory/directory-cache.js';
import { HttpDirectoryFetcher } from '../key-directory/http-fetcher.js';
import { HmacKeys } from './secrets/hmac-keys.js';
import { loadMasterKeyring, type MasterKeyring } from './secrets/master-keyring.js';

export interface AppDeps {
  config: Readonly<Config>;
  stores: Stores;
  clock: Clock;
  logger: Logger;
  /** Master keys for HMAC secrets; default loadMasterKeyring(config) (docs/modes.md). */
  masterKeys?: MasterKeyring;
  /** In a `signet serve --workers` worker: label its metrics and answer /metrics for all workers. */
  workerMetrics?: WorkerMetrics;
}

export interface SignetApp {
  app: Koa<SignetState>;
  server: ServerContext;
  /** The verifier's key cache, for benchmarks and tests; changes go through server.credentials. */
  keyCache: KeyCache;
  /** Flushes buffered writes; call before closing the stores. */
  close(): Promise<void>;
}

/**
 * The key directories of consumers and of Web Bot Auth agents, fetched with the SSRF rules of
 * HttpDirectoryFetcher and cached per URL. Every key-set change and fetch failure is logged at warn
 * level; a change of the set is also written to the audit log (key_directory.change), by the
 * instance that saw it.
 */
function keyDirectories(config: Readonly<Config>, clock: Clock, logger: Logger, audit: (change: KeyDirectoryChange) => Promise<void>): DirectoryCache {
  const fetcher = new HttpDirectoryFetcher({ maxBytes: config.keyDirectoryMaxBytes, timeoutMs: config.keyDirectoryTimeoutMs, allowPrivateNetworks: config.keyDirectoryAllowPrivate });
  return new DirectoryCache({
    fetcher,
    clock,
    minTtlMs: config.keyDirectoryMinTtlSeconds * 1000,
    maxTtlMs: config.keyDirectoryMaxTtlSeconds * 1000,
    defaultTtlMs: Math.min(config.keyDirectoryMaxTtlSeconds, Math.max(config.keyDirectoryMinTtlSeconds, 300)) * 1000,
    unknownKeyRefreshMs: config.keyDirectoryMinTtlSeconds * 1000,
    staleMs: config.keyDirectoryStaleSeconds * 1000,
    onChange: (change) => {
      logger.warn({ key_directory: change.url, added: change.added, removed: change.removed, refused: change.refused, failure: change.failure ?? null }, 'key directory changed');
      if (change.failure !== undefined || (change.added.length === 0 && change.removed.length === 0)) return;
      audit({ url: change.url, added: change.added, removed: change.removed, refused: change.refused }).catch((error: unknown) =>
        logger.error({ key_directory: change.url, err: (error as Error).message }, 'key directory change not audited'),
      );
    },
  });
}

/** Levels at which the per-request access line (level info) is written. */
const ACCESS_LOG_LEVELS = new Set(['info', 'debug', 'trace']);

/** Builds the Signet Koa app from injected dependencies; opens no port and starts no timer itself. */
export function createApp(deps: AppDeps): SignetApp {
  const { config, stores, clock, logger } = deps;
  // HMAC secrets are decrypted on a key-cache fill only, so the clear secret lives in one place and is read once per fill.
  const hmacKeys = new HmacKeys(stores.hmacSecrets, deps.masterKeys ?? loadMasterKeyring(config, logger), logger);
  // Key-set changes are audited through the credential service, built below (after the key cache that reads the directories).
  let auditKeySetChange: (change: KeyDirectoryChange) => Promise<void> = async () => undefined;
  const directories = keyDirectories(config, clock, logger, (change) => auditKeySetChange(change));
  const keyCache = new KeyCache({
    store: stores.credentials,
    clock,
    size: config.keyCacheSize,
    ttlMs: config.keyCacheTtlMs,
    negativeTtlMs: config.negativeCacheTtlMs,
    openHmacSecret: (found) => hmacKeys.open(found),
    findDirectoryKey: consumerDirectoryKeys({ store: stores.credentials, directories }),
    onStoreRead: (seconds, found) => metrics?.keyStoreReads.observe({ result: found ? 'found' : 'unknown' }, seconds),
  });
  // A revocation must reach every instance: invalidations made here are published to the others, and theirs reach this cache.
  const sharedCache = shareKeyCache(keyCache, stores.events, logger);
  const lastUsed = new LastUsedRecorder(stores.credentials, logger, config.lastUsedFlushMs);
  // Per-request accounting: usage buffer, metrics registry of this app, rate limiter (wrapped around the verifier below).
  const usage = new UsageRecorder({
    store: stores.usage,
    clock,
    logger,
    enabled: config.usageEnabled,
    bufferSize: config.usageBufferSize,
    batchSize: config.usageBatchSize,
    flushMs: config.usageFlushMs,
    retentionDays: config.usageRetentionDays,
    onDrop: (reason, records) => metrics?.usageDropped.inc({ reason }, records),
  });
  const metrics = config.metricsEnabled ? createMetrics({ replayStoreSize: () => stores.replay.size(), usageBuffered: () => usage.health().buffered }, deps.workerMetrics) : undefined;
  const limiter = new RateLimiter({ plans: config.plans, defaultPlan: config.defaultPlan, store: stores.rateLimits, clock, logger });
  const verifySignature = createVerifier({
    config,
    ...(config.webBotAuthAgents.length > 0
      ? { agents: createAgentCheck({ config, rules: claimRules(config), directories, replay: stores.replay, clock, onThreadPool: threadPoolPolicy(config.verifyOnThreadPool) }) }
      : {}),
    keys: keyCache,
    replay: stores.replay,
    clock,
    // A directory key has no row to record its last use in.
    onVerified: (verified, now) => (ISSUED_KEY_ID_PATTERN.test(verified.key.id) ? lastUsed.touch(verified.key.id, now) : undefined),
    spendToken: countFreshTokens(limiter, stores.freshTokens),
    ...(config.httpSignatureLabel !== undefined ? { httpSignatureLabel: config.httpSignatureLabel } : {}),
  });
  const verify = withRateLimit(verifySignature, limiter, metrics);
  const verifyProof = createProofVerifier({ config, replay: stores.replay, clock });
  const credentials = new CredentialService({ credentials: stores.credentials, enrollment: stores.enrollment, clock, invalidation: cacheInvalidation(keyCache), hmacKeys });
  auditKeySetChange = (change) => credentials.recordKeyDirectoryChange(change);
  const authFailures =
    config.authFailureLimit > 0 ? new AuthFailureLimiter({ store: stores.rateLimits, clock, limit: config.authFailureLimit, windowSeconds: config.authFailureWindowSeconds }) : undefined;
  const server: ServerContext = { config, stores, clock, logger, credentials, lastUsed, verify, verifyProof, limiter, authFailures, usage, metrics, hmacKeys };

  const app = new Koa<SignetState>();
  app.proxy = config.trustProxy;
  app.use(requestId());
  // Nothing to observe for (no usage, no metrics, no access log): leave the hop out of the hot path.
  const accessLog = ACCESS_LOG_LEVELS.has(config.logLevel);
  if (usage.enabled || metrics !== undefined || accessLog) app.use(observe({ clock, usage, metrics, logger, accessLog }));
  const outages = new OutageLog({ logger, clock });
  app.use(errorHandler({ clock, logger, outages }));
  if (stores.engines.shared === 'redis') {
    // A change is answered only once it has been handed to Redis: "revoked" means the other instances are being told.
    app.use(async (_ctx, next) => {
      await next();
      if (sharedCache.publishing) await sharedCache.settled();
    });
  }
  if (authFailures !== undefined) app.use(authFailureGate(authFailures, metrics));
  app.use(rateLimitHeaders());
  app.use(rawBody(config.bodyLimitBytes));
  const core = coreRoutes(server);
  app.use(core.exact);
  app.use(core.router.routes());
  app.use(core.router.allowedMethods());
  const portal = config.portalEnabled ? [portalRoutes(server)] : [];
  for (const router of [discoveryRoutes(server), ...lifecycleRoutes(server), usageRoutes(server), ...(metrics !== undefined ? [metricsRoutes(server, metrics)] : []), ...portal]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // Koa prints unhandled errors itself; ours are all handled above, so keep its output quiet.
  app.silent = true;

  return {
    app,
    server,
    keyCache,
    close: async () => {
      outages.flush();
      sharedCache.leave();
      await lastUsed.stop();
      await usage.stop();
    },
  };
}
