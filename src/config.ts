import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { buildPlans, type Plan } from './plans.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS } from './protocol/format.js';
import { canonicalizeUrl } from './protocol/target.js';
import { parseKeyring } from './keyring-text.js';

/**
 * The only module that reads process.env. Every setting, its variable and its default are listed
 * here (and in docs/configuration.md); the result is validated once and frozen.
 */
export interface Config extends ScaleOutConfig, HttpSignatureConfig {
  /** SIGNET_PORT, default 3000. */
  port: number;
  /** SIGNET_HOST, default 127.0.0.1: listen on loopback unless told otherwise. */
  host: string;
  /** SIGNET_DB, default ./data/signet.sqlite (created on first start). */
  db: string;
  /** SIGNET_PUBLIC_ORIGIN, default http://localhost:PORT. Signed URLs are checked against it, never against Host. */
  publicOrigin: string;
  /** SIGNET_AUDIENCE, default the public origin. */
  audience: string;
  /** SIGNET_MAX_TOKEN_LIFETIME seconds, default 60, at most 300. */
  maxTokenLifetimeSeconds: number;
  /** SIGNET_CLOCK_SKEW seconds tolerated either way, default 60. */
  clockSkewSeconds: number;
  /** SIGNET_BODY_LIMIT bytes, default 1 MiB; larger bodies get 413. */
  bodyLimitBytes: number;
  /** SIGNET_REPLAY_CAPACITY live one-time tokens, default 1,000,000. */
  replayCapacity: number;
  /** SIGNET_MIGRATE_ON_START, default true. */
  migrateOnStart: boolean;
  /**
   * SIGNET_SQLITE_SYNC_READ, default true: on a SQLite file, read a key the cache does not hold with
   * a synchronous statement on the calling thread (`node:sqlite`, Node 22.13 and later), falling back
   * to the asynchronous read when SQLite is busy or on an older Node. False: always asynchronous.
   */
  sqliteSyncRead: boolean;
  /** SIGNET_LOG_LEVEL, default info. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** SIGNET_KEY_CACHE_SIZE verified keys kept ready in memory, default 100,000. */
  keyCacheSize: number;
  /** SIGNET_KEY_CACHE_TTL_MS, default 30,000: how long a cached key may miss a change made elsewhere. */
  keyCacheTtlMs: number;
  /** SIGNET_NEGATIVE_CACHE_TTL_MS, default 5,000: how long an unknown key id is remembered as unknown. */
  negativeCacheTtlMs: number;
  /** SIGNET_LAST_USED_FLUSH_MS, default 10,000: how often coalesced last-use times are written. */
  lastUsedFlushMs: number;
  /** SIGNET_ENROLLMENT_CODE_TTL seconds, default 86,400 (24 h): lifetime of an enrollment code unless the admin asks otherwise (60 s to 30 days). */
  enrollmentCodeTtlSeconds: number;
  /** SIGNET_ROTATION_OVERLAP seconds, default 86,400 (24 h): how long a rotated-out key keeps working unless the request says otherwise (0 to 30 days). */
  rotationOverlapSeconds: number;
  /**
   * SIGNET_PLANS: rate-limit plans as JSON text, or the path of a JSON file; they are merged over the
   * built-in plans internal, free, standard and metered (src/plans.ts, docs/rate-limits.md).
   */
  plans: Readonly<Record<string, Plan>>;
  /** SIGNET_DEFAULT_PLAN, default internal (unlimited): the plan of consumers without one. */
  defaultPlan: string;
  /** SIGNET_AUTH_FAILURE_LIMIT, default 100: authentication failures per client address and window before its requests get 429 unverified; 0 turns the check off. */
  authFailureLimit: number;
  /** SIGNET_AUTH_FAILURE_WINDOW seconds, default 60: the window of SIGNET_AUTH_FAILURE_LIMIT. */
  authFailureWindowSeconds: number;
  /** SIGNET_TRUST_PROXY, default false: take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** SIGNET_USAGE, default true: record every authenticated request into the usage roll-ups. */
  usageEnabled: boolean;
  /** SIGNET_USAGE_BUFFER records, default 10,000: beyond it new records are dropped (and counted), never waited for. */
  usageBufferSize: number;
  /** SIGNET_USAGE_BATCH records, default 1,000: a buffer this full is flushed at once. */
  usageBatchSize: number;
  /** SIGNET_USAGE_FLUSH_MS, default 5,000: the buffer is flushed at least this often. */
  usageFlushMs: number;
  /** SIGNET_USAGE_RETENTION_MINUTE / _HOUR / _DAY days, defaults 2, 35 and 400: how long each roll-up is kept. */
  usageRetentionDays: Readonly<{ minute: number; hour: number; day: number }>;
  /** SIGNET_METRICS, default true: serve GET /metrics and collect the metrics behind it. */
  metricsEnabled: boolean;
  /** SIGNET_METRICS_TOKEN, no default: when set, /metrics needs "Authorization: Bearer <token>"; when unset, only loopback peers may read it. */
  metricsToken: string | undefined;
  /**
   * SIGNET_MASTER_KEY, no default: the master keyring that encrypts HMAC secrets at rest
   * (docs/modes.md): one 32-byte key in base64 or base64url, or `VERSION:KEY` entries separated by
   * commas; the highest version encrypts new secrets and every version listed decrypts.
   */
  masterKey: string | undefined;
  /**
   * SIGNET_MASTER_KEY_FILE, no default: a file holding the keyring (one `VERSION:KEY` a line),
   * created with mode 0600 if missing and re-read when a secret names a version it lacks. Without
   * either variable the server uses the development key file master.key beside SIGNET_DB, created
   * on first start, and warns at every start.
   */
  masterKeyFile: string | undefined;
  /** SIGNET_PORTAL, default true: serve the developer portal at /portal (docs/portal.md). */
  portalEnabled: boolean;
  /** SIGNET_PORTAL_DIR, default the package's dist/portal (written by `npm run build`): where the portal's built files are. */
  portalDir: string | undefined;
  /** SIGNET_GATEWAY_UPSTREAM, no default: the http(s) URL `signet gateway` forwards verified requests to (docs/gateway.md). */
  gatewayUpstream: string | undefined;
  /** SIGNET_GATEWAY_PORT, default 8080: the port `signet gateway` proxies on (SIGNET_PORT keeps the admin API, portal and /metrics). */
  gatewayPort: number;
  /** SIGNET_GATEWAY_ROUTES, no default: the routes file (method, path, scopes or public); without one every path needs a valid signature. */
  gatewayRoutesFile: string | undefined;
  /** SIGNET_GATEWAY_UPSTREAM_TIMEOUT_MS, default 30,000: longest wait for the upstream's response headers, and between two body chunks. */
  gatewayUpstreamTimeoutMs: number;
  /** SIGNET_GATEWAY_CONNECT_TIMEOUT_MS, default 5,000: longest wait to connect to the upstream. */
  gatewayConnectTimeoutMs: number;
  /** SIGNET_FORWARD_AUTH_PORT, default 8081: the port `signet forward-auth` answers proxies' auth checks on. */
  forwardAuthPort: number;
  /** SIGNET_FORWARD_AUTH_TRUSTED_PROXIES, default "127.0.0.1,::1": peer addresses whose X-Forwarded-* / X-Original-* headers forward-auth believes. */
  forwardAuthTrustedProxies: readonly string[];
  /**
   * SIGNET_FORWARD_AUTH_BODY, default "refuse": what forward-auth does about request bodies it cannot
   * see. "refuse": the token must bind an empty body and a request announcing one is refused;
   * "digest": the token's body_sha256 must equal the request's Content-Digest sha-256, which the
   * upstream (or proxy) must check against the body (docs/gateway.md).
   */
  forwardAuthBody: 'refuse' | 'digest';
  /** SIGNET_SHUTDOWN_GRACE_MS, default 10,000: on SIGTERM, how long requests in flight may take before their connections are cut. */
  shutdownGraceMs: number;
  /** SIGNET_HEADERS_TIMEOUT_MS, default 10,000: a connection that has not sent complete request headers by then is answered 408 and closed. */
  headersTimeoutMs: number;
  /** SIGNET_REQUEST_TIMEOUT_MS, default 30,000: a request not received whole (body included) by then is answered 408 and closed. */
  requestTimeoutMs: number;
  /** SIGNET_DOCS_URL, no default: the documentation GET /.well-known/signet points clients to (without it, this server's /openapi.json). */
  docsUrl: string | undefined;
}

/**
 * Scale-out settings (docs/deployment.md): PostgreSQL instead of SQLite, Redis for the state every
 * instance must share, and worker processes for `signet serve`.
 */
export interface ScaleOutConfig {
  /**
   * SIGNET_DATABASE_URL, no default: a postgres:// (or postgresql://) URL. When set, consumers,
   * keys, audit and usage live in PostgreSQL and SIGNET_DB (or --db) is ignored; when unset, SQLite.
   */
  databaseUrl: string | undefined;
  /** SIGNET_DATABASE_POOL_MAX, default 10: most PostgreSQL connections per process. */
  databasePoolMax: number;
  /** SIGNET_DATABASE_CONNECT_TIMEOUT_MS, default 5,000: longest wait to connect to PostgreSQL or for a free pooled connection. */
  databaseConnectTimeoutMs: number;
  /** SIGNET_DATABASE_QUERY_TIMEOUT_MS, default 10,000: longest wait for one PostgreSQL statement. */
  databaseQueryTimeoutMs: number;
  /**
   * SIGNET_REDIS_URL, no default: a redis:// (or rediss://) URL. When set, the replay cache, rate
   * limits and the event bus that spreads revocations live in Redis and are shared by every
   * instance using the same URL and prefix; when unset, in this process's memory.
   */
  redisUrl: string | undefined;
  /** SIGNET_REDIS_PREFIX, default "signet:": the start of every Redis key and channel name Signet uses. */
  redisPrefix: string;
  /** SIGNET_REDIS_TIMEOUT_MS, default 1,000: longest wait to connect to Redis or for one command. */
  redisTimeoutMs: number;
  /**
   * SIGNET_WORKERS, default 1: processes `signet serve` runs on this machine ("auto": one per
   * core). More than one needs SIGNET_REDIS_URL and a database file or PostgreSQL.
   */
  workers: number;
  /**
   * SIGNET_VERIFY_THREAD_POOL, default "auto": verify Ed25519 signatures on libuv's thread pool, so
   * the main thread goes on meanwhile. "auto" means when this process may run on more than one CPU
   * (on a single CPU the hand-off to a pool thread only adds two thread switches per request), and
   * then only while the main thread is busy ('when-busy': idle, the hand-off only adds latency).
   */
  verifyOnThreadPool: boolean | 'when-busy';
}

/** The RFC 9421 request format (docs/rfc9421.md). */
export interface HttpSignatureConfig {
  /**
   * SIGNET_HTTP_SIGNATURE_LABEL, no default: the one RFC 9421 signature label verified, other
   * labels being ignored. Unset, a request must carry exactly one signature; several are refused
   * as ambiguous.
   */
  httpSignatureLabel: string | undefined;
  /**
   * SIGNET_WEB_BOT_AUTH_AGENTS, default none: origins (https://agent.example) of Web Bot Auth
   * agents allowed to sign requests, comma-separated. Their keys come from
   * ORIGIN/.well-known/http-message-signatures-directory.
   */
  webBotAuthAgents: readonly string[];
  /** SIGNET_WEB_BOT_AUTH_SCOPES, default none: the scopes every verified agent gets, comma-separated. */
  webBotAuthScopes: readonly string[];
  /** SIGNET_WEB_BOT_AUTH_METHODS, default GET,HEAD: the methods agents may use (their signatures do not bind the method). */
  webBotAuthMethods: readonly string[];
  /** SIGNET_KEY_DIRECTORY_MAX_BYTES, default 65,536: largest key directory read. */
  keyDirectoryMaxBytes: number;
  /** SIGNET_KEY_DIRECTORY_TIMEOUT_MS, default 3,000: longest wait for a key directory. */
  keyDirectoryTimeoutMs: number;
  /** SIGNET_KEY_DIRECTORY_MIN_TTL / _MAX_TTL seconds, defaults 60 and 86,400: the bounds its Cache-Control max-age is clamped into (300 s without one). */
  keyDirectoryMinTtlSeconds: number;
  keyDirectoryMaxTtlSeconds: number;
  /** SIGNET_KEY_DIRECTORY_STALE seconds, default 3,600: how long the last good key set is used past its expiry while fetches fail. */
  keyDirectoryStaleSeconds: number;
  /**
   * SIGNET_KEY_DIRECTORY_ALLOW_PRIVATE, default false: allow http:// directories and private,
   * loopback and link-local addresses. Only for tests and closed networks: directory URLs must not
   * reach the operator's internal network (SSRF).
   */
  keyDirectoryAllowPrivate: boolean;
}

/** Longest enrollment-code lifetime and rotation overlap: 30 days. */
export const MAX_LIFECYCLE_SECONDS = 30 * 24 * 3600;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const ENV_SCHEMA = z.object({
  SIGNET_PORT: int(0, 65535).default(3000),
  SIGNET_HOST: z.string().min(1).default('127.0.0.1'),
  SIGNET_DB: z.string().min(1).default('./data/signet.sqlite'),
  SIGNET_PUBLIC_ORIGIN: z.string().optional(),
  SIGNET_AUDIENCE: z.string().min(1).optional(),
  SIGNET_MAX_TOKEN_LIFETIME: int(1, MAX_TOKEN_LIFETIME_SECONDS).default(DEFAULT_TOKEN_LIFETIME_SECONDS),
  SIGNET_CLOCK_SKEW: int(0, 300).default(60),
  SIGNET_BODY_LIMIT: int(0, 1024 * 1024 * 1024).default(1024 * 1024),
  SIGNET_REPLAY_CAPACITY: int(1, 100_000_000).default(1_000_000),
  SIGNET_MIGRATE_ON_START: bool.default(true),
  SIGNET_SQLITE_SYNC_READ: bool.default(true),
  SIGNET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIGNET_KEY_CACHE_SIZE: int(1, 10_000_000).default(100_000),
  SIGNET_KEY_CACHE_TTL_MS: int(0, 3_600_000).default(30_000),
  SIGNET_NEGATIVE_CACHE_TTL_MS: int(0, 3_600_000).default(5_000),
  SIGNET_LAST_USED_FLUSH_MS: int(100, 3_600_000).default(10_000),
  SIGNET_ENROLLMENT_CODE_TTL: int(60, 30 * 24 * 3600).default(86_400),
  SIGNET_ROTATION_OVERLAP: int(0, 30 * 24 * 3600).default(86_400),
  SIGNET_PLANS: z.string().optional(),
  SIGNET_DEFAULT_PLAN: z.string().min(1).default('internal'),
  SIGNET_AUTH_FAILURE_LIMIT: int(0, 1_000_000).default(100),
  SIGNET_AUTH_FAILURE_WINDOW: int(1, 86_400).default(60),
  SIGNET_TRUST_PROXY: bool.default(false),
  SIGNET_USAGE: bool.default(true),
  SIGNET_USAGE_BUFFER: int(1, 10_000_000).default(10_000),
  SIGNET_USAGE_BATCH: int(1, 1_000_000).default(1_000),
  SIGNET_USAGE_FLUSH_MS: int(100, 3_600_000).default(5_000),
  SIGNET_USAGE_RETENTION_MINUTE: int(1, 3650).default(2),
  SIGNET_USAGE_RETENTION_HOUR: int(1, 3650).default(35),
  SIGNET_USAGE_RETENTION_DAY: int(1, 36500).default(400),
  SIGNET_METRICS: bool.default(true),
  SIGNET_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SIGNET_DATABASE_URL: z.string().optional(),
  SIGNET_DATABASE_POOL_MAX: int(1, 1000).default(10),
  SIGNET_DATABASE_CONNECT_TIMEOUT_MS: int(100, 600_000).default(5_000),
  SIGNET_DATABASE_QUERY_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  SIGNET_REDIS_URL: z.string().optional(),
  SIGNET_REDIS_PREFIX: z.string().min(1).max(100).default('signet:'),
  SIGNET_REDIS_TIMEOUT_MS: int(50, 60_000).default(1_000),
  SIGNET_WORKERS: z.union([z.literal('auto'), int(1, 1024)]).default(1),
  SIGNET_VERIFY_THREAD_POOL: z.union([z.literal('auto'), bool]).default('auto'),
  SIGNET_MASTER_KEY: z.string().optional(),
  SIGNET_MASTER_KEY_FILE: z.string().min(1).optional(),
  SIGNET_PORTAL: bool.default(true),
  SIGNET_PORTAL_DIR: z.string().min(1).optional(),
  SIGNET_GATEWAY_UPSTREAM: z.string().min(1).optional(),
  SIGNET_GATEWAY_PORT: int(0, 65535).default(8080),
  SIGNET_GATEWAY_ROUTES: z.string().min(1).optional(),
  SIGNET_GATEWAY_UPSTREAM_TIMEOUT_MS: int(10, 3_600_000).default(30_000),
  SIGNET_GATEWAY_CONNECT_TIMEOUT_MS: int(10, 600_000).default(5_000),
  SIGNET_FORWARD_AUTH_PORT: int(0, 65535).default(8081),
  SIGNET_FORWARD_AUTH_TRUSTED_PROXIES: z.string().default('127.0.0.1,::1'),
  SIGNET_FORWARD_AUTH_BODY: z.enum(['refuse', 'digest']).default('refuse'),
  SIGNET_SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  SIGNET_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  SIGNET_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  SIGNET_DOCS_URL: z.string().url().optional(),
  SIGNET_WEB_BOT_AUTH_AGENTS: z.string().optional(),
  SIGNET_WEB_BOT_AUTH_SCOPES: z.string().optional(),
  SIGNET_WEB_BOT_AUTH_METHODS: z.string().default('GET,HEAD'),
  SIGNET_KEY_DIRECTORY_MAX_BYTES: int(1024, 10 * 1024 * 1024).default(65_536),
  SIGNET_KEY_DIRECTORY_TIMEOUT_MS: int(100, 60_000).default(3_000),
  SIGNET_KEY_DIRECTORY_MIN_TTL: int(1, 86_400).default(60),
  SIGNET_KEY_DIRECTORY_MAX_TTL: int(60, 30 * 86_400).default(86_400),
  SIGNET_KEY_DIRECTORY_STALE: int(0, 30 * 86_400).default(3_600),
  SIGNET_KEY_DIRECTORY_ALLOW_PRIVATE: bool.default(false),
  SIGNET_HTTP_SIGNATURE_LABEL: z
    .string()
    .regex(/^[a-z*][a-z0-9_.*-]{0,63}$/, 'must be a structured-field key (lower case)')
    .optional(),
});

/** SIGNET_PLANS: JSON text (starting with "{") or the path of a JSON file. */
function loadPlans(source: string | undefined): Readonly<Record<string, Plan>> {
  let text = source ?? '{}';
  if (!text.trimStart().startsWith('{')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch {
      throw new ConfigError([`SIGNET_PLANS: cannot read the plans file "${source}"`]);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(['SIGNET_PLANS: not valid JSON']);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(json);
  if (!parsed.success) throw new ConfigError(['SIGNET_PLANS: must be a JSON object of plans']);
  try {
    return buildPlans(parsed.data);
  } catch (error) {
    const issues = (error as z.ZodError).issues ?? [];
    throw new ConfigError(issues.map((issue) => `SIGNET_PLANS: ${issue.path.join('.')}: ${issue.message}`));
  }
}

type Env = Record<string, string | undefined>;

function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** SIGNET_WEB_BOT_AUTH_AGENTS: each entry an http(s) origin, kept in canonical form. */
function agentOrigins(value: string | undefined): string[] {
  return commaList(value).map((entry) => {
    const canonical = canonicalizeUrl(entry);
    if (canonical === undefined || canonical.target !== '/') throw new ConfigError([`SIGNET_WEB_BOT_AUTH_AGENTS: "${entry}" is not an origin such as https://agent.example`]);
    return canonical.origin;
  });
}

/**
 * Builds the configuration from environment variables, then applies explicit overrides (command-line
 * flags win over the environment). Empty variables count as unset.
 */
export function loadConfig(overrides: Partial<Config> = {}, env: Env = process.env): Readonly<Config> {
  const relevant = Object.fromEntries(Object.entries(env).filter(([name, value]) => name.startsWith('SIGNET_') && value !== undefined && value !== ''));
  const parsed = ENV_SCHEMA.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const port = overrides.port ?? e.SIGNET_PORT;
  const rawOrigin = overrides.publicOrigin ?? e.SIGNET_PUBLIC_ORIGIN ?? `http://localhost:${port}`;
  const origin = canonicalizeUrl(rawOrigin);
  if (origin === undefined || origin.target !== '/') {
    throw new ConfigError([`SIGNET_PUBLIC_ORIGIN: "${rawOrigin}" must be an http(s) origin such as https://api.example.com (no path, query or fragment)`]);
  }
  const config: Config = {
    port,
    host: e.SIGNET_HOST,
    db: e.SIGNET_DB,
    audience: e.SIGNET_AUDIENCE ?? origin.origin,
    maxTokenLifetimeSeconds: e.SIGNET_MAX_TOKEN_LIFETIME,
    clockSkewSeconds: e.SIGNET_CLOCK_SKEW,
    bodyLimitBytes: e.SIGNET_BODY_LIMIT,
    replayCapacity: e.SIGNET_REPLAY_CAPACITY,
    migrateOnStart: e.SIGNET_MIGRATE_ON_START,
    sqliteSyncRead: e.SIGNET_SQLITE_SYNC_READ,
    logLevel: e.SIGNET_LOG_LEVEL,
    keyCacheSize: e.SIGNET_KEY_CACHE_SIZE,
    keyCacheTtlMs: e.SIGNET_KEY_CACHE_TTL_MS,
    negativeCacheTtlMs: e.SIGNET_NEGATIVE_CACHE_TTL_MS,
    lastUsedFlushMs: e.SIGNET_LAST_USED_FLUSH_MS,
    enrollmentCodeTtlSeconds: e.SIGNET_ENROLLMENT_CODE_TTL,
    rotationOverlapSeconds: e.SIGNET_ROTATION_OVERLAP,
    plans: loadPlans(e.SIGNET_PLANS),
    defaultPlan: e.SIGNET_DEFAULT_PLAN,
    authFailureLimit: e.SIGNET_AUTH_FAILURE_LIMIT,
    authFailureWindowSeconds: e.SIGNET_AUTH_FAILURE_WINDOW,
    trustProxy: e.SIGNET_TRUST_PROXY,
    usageEnabled: e.SIGNET_USAGE,
    usageBufferSize: e.SIGNET_USAGE_BUFFER,
    usageBatchSize: e.SIGNET_USAGE_BATCH,
    usageFlushMs: e.SIGNET_USAGE_FLUSH_MS,
    usageRetentionDays: Object.freeze({ minute: e.SIGNET_USAGE_RETENTION_MINUTE, hour: e.SIGNET_USAGE_RETENTION_HOUR, day: e.SIGNET_USAGE_RETENTION_DAY }),
    metricsEnabled: e.SIGNET_METRICS,
    metricsToken: e.SIGNET_METRICS_TOKEN,
    databaseUrl: e.SIGNET_DATABASE_URL,
    databasePoolMax: e.SIGNET_DATABASE_POOL_MAX,
    databaseConnectTimeoutMs: e.SIGNET_DATABASE_CONNECT_TIMEOUT_MS,
    databaseQueryTimeoutMs: e.SIGNET_DATABASE_QUERY_TIMEOUT_MS,
    redisUrl: e.SIGNET_REDIS_URL,
    redisPrefix: e.SIGNET_REDIS_PREFIX,
    redisTimeoutMs: e.SIGNET_REDIS_TIMEOUT_MS,
    workers: e.SIGNET_WORKERS === 'auto' ? availableParallelism() : e.SIGNET_WORKERS,
    // availableParallelism() honours the CPU affinity mask (taskset, cpusets), not CPU quotas.
    verifyOnThreadPool: e.SIGNET_VERIFY_THREAD_POOL === 'auto' ? availableParallelism() > 1 && 'when-busy' : e.SIGNET_VERIFY_THREAD_POOL,
    masterKey: e.SIGNET_MASTER_KEY,
    masterKeyFile: e.SIGNET_MASTER_KEY_FILE,
    portalEnabled: e.SIGNET_PORTAL,
    portalDir: e.SIGNET_PORTAL_DIR,
    gatewayUpstream: e.SIGNET_GATEWAY_UPSTREAM,
    gatewayPort: e.SIGNET_GATEWAY_PORT,
    gatewayRoutesFile: e.SIGNET_GATEWAY_ROUTES,
    gatewayUpstreamTimeoutMs: e.SIGNET_GATEWAY_UPSTREAM_TIMEOUT_MS,
    gatewayConnectTimeoutMs: e.SIGNET_GATEWAY_CONNECT_TIMEOUT_MS,
    forwardAuthPort: e.SIGNET_FORWARD_AUTH_PORT,
    forwardAuthTrustedProxies: Object.freeze(
      e.SIGNET_FORWARD_AUTH_TRUSTED_PROXIES.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
    forwardAuthBody: e.SIGNET_FORWARD_AUTH_BODY,
    shutdownGraceMs: e.SIGNET_SHUTDOWN_GRACE_MS,
    headersTimeoutMs: e.SIGNET_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.SIGNET_REQUEST_TIMEOUT_MS,
    docsUrl: e.SIGNET_DOCS_URL,
    httpSignatureLabel: e.SIGNET_HTTP_SIGNATURE_LABEL,
    webBotAuthAgents: Object.freeze(agentOrigins(e.SIGNET_WEB_BOT_AUTH_AGENTS)),
    webBotAuthScopes: Object.freeze(commaList(e.SIGNET_WEB_BOT_AUTH_SCOPES)),
    webBotAuthMethods: Object.freeze(commaList(e.SIGNET_WEB_BOT_AUTH_METHODS).map((m) => m.toUpperCase())),
    keyDirectoryMaxBytes: e.SIGNET_KEY_DIRECTORY_MAX_BYTES,
    keyDirectoryTimeoutMs: e.SIGNET_KEY_DIRECTORY_TIMEOUT_MS,
    keyDirectoryMinTtlSeconds: e.SIGNET_KEY_DIRECTORY_MIN_TTL,
    keyDirectoryMaxTtlSeconds: e.SIGNET_KEY_DIRECTORY_MAX_TTL,
    keyDirectoryStaleSeconds: e.SIGNET_KEY_DIRECTORY_STALE,
    keyDirectoryAllowPrivate: e.SIGNET_KEY_DIRECTORY_ALLOW_PRIVATE,
    ...overrides,
    publicOrigin: origin.origin,
  };
  if (overrides.audience === undefined && e.SIGNET_AUDIENCE === undefined) config.audience = origin.origin;
  if (config.masterKey !== undefined) {
    if (config.masterKeyFile !== undefined) throw new ConfigError(['SIGNET_MASTER_KEY and SIGNET_MASTER_KEY_FILE are both set: set one of them']);
    try {
      parseKeyring(config.masterKey, 'SIGNET_MASTER_KEY');
    } catch (error) {
      throw new ConfigError([(error as Error).message]);
    }
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError([`SIGNET_HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must not exceed SIGNET_REQUEST_TIMEOUT_MS (${config.requestTimeoutMs}): the headers are part of the request`]);
  }
  const scaleOutProblems = checkScaleOut(config);
  if (scaleOutProblems.length > 0) throw new ConfigError(scaleOutProblems);
  if (config.plans[config.defaultPlan] === undefined) {
    throw new ConfigError([`SIGNET_DEFAULT_PLAN: "${config.defaultPlan}" is not a plan; known plans: ${Object.keys(config.plans).join(', ')}`]);
  }
  return Object.freeze(config);
}

const DATABASE_SCHEMES = new Set(['postgres:', 'postgresql:']);
const REDIS_SCHEMES = new Set(['redis:', 'rediss:']);

function scheme(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/** What the scale-out settings must agree on; an empty list when they do. */
function checkScaleOut(config: Config): string[] {
  const problems: string[] = [];
  if (config.databaseUrl !== undefined) {
    const found = scheme(config.databaseUrl);
    if (found === undefined || !DATABASE_SCHEMES.has(found)) {
      problems.push(`SIGNET_DATABASE_URL: unsupported database "${found ?? 'not a URL'}"; use postgres://USER:PASSWORD@HOST:PORT/DATABASE (SQLite is configured with SIGNET_DB instead)`);
    }
  }
  if (config.redisUrl !== undefined) {
    const found = scheme(config.redisUrl);
    if (found === undefined || !REDIS_SCHEMES.has(found)) {
      problems.push(`SIGNET_REDIS_URL: unsupported scheme "${found ?? 'not a URL'}"; use redis://[:PASSWORD@]HOST:PORT[/DB] or rediss:// for TLS`);
    }
  }
  if (config.databaseUrl !== undefined && config.masterKey === undefined && config.masterKeyFile === undefined) {
    problems.push(
      'SIGNET_DATABASE_URL needs SIGNET_MASTER_KEY or SIGNET_MASTER_KEY_FILE: the development master key file beside SIGNET_DB belongs to one machine, so instances elsewhere could not read the HMAC secrets this one encrypts (docs/modes.md)',
    );
  }
  if (config.workers > 1) {
    if (config.redisUrl === undefined) {
      problems.push(
        `${config.workers} workers need SIGNET_REDIS_URL: the replay cache, rate limits and revocation events are per process without Redis, so worker processes could not share them (a token could be replayed on another worker). Set SIGNET_REDIS_URL or run one worker.`,
      );
    }
    if (config.databaseUrl === undefined && config.db === ':memory:') {
      problems.push(`${config.workers} workers cannot share an in-memory SQLite database: use a database file (SIGNET_DB) or PostgreSQL (SIGNET_DATABASE_URL)`);
    }
  }
  return problems;
}

/** Client-side settings of the `signet` CLI, from the environment (they override the profile file). */
export interface ClientEnv {
  /** SIGNET_CONFIG, default ~/.config/signet/config.json (XDG_CONFIG_HOME respected). */
  configFile: string;
  /** SIGNET_PROFILE: the profile to use when --profile is not given. */
  profile: string | undefined;
  /** SIGNET_SERVER, SIGNET_KID, SIGNET_KEY_FILE: override the profile's values. */
  server: string | undefined;
  kid: string | undefined;
  keyFile: string | undefined;
  /** NO_COLOR (https://no-color.org): disables coloured output when set. */
  noColor: boolean;
}

export function loadClientEnv(env: Env = process.env): Readonly<ClientEnv> {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const home = value('HOME') ?? value('USERPROFILE') ?? '.';
  const configHome = value('XDG_CONFIG_HOME') ?? `${home}/.config`;
  return Object.freeze({
    configFile: value('SIGNET_CONFIG') ?? `${configHome}/signet/config.json`,
    profile: value('SIGNET_PROFILE'),
    server: value('SIGNET_SERVER'),
    kid: value('SIGNET_KID'),
    keyFile: value('SIGNET_KEY_FILE'),
    noColor: value('NO_COLOR') !== undefined,
  });
}
