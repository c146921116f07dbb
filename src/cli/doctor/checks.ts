import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../../config.js';
import { DISCOVERY_PATH, parseDiscoveryDocument } from '../../protocol/discovery.js';
import { describeDatabase, openDatabase } from '../../store/factory.js';
import { migrationConfig } from '../../store/migrations.js';
import { closeRedis, openRedis, waitForRedis } from '../../store/redis-connection.js';

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the doctor's report: what was checked, what was found, and what to do about it. */
export interface CheckResult {
  check: string;
  verdict: Verdict;
  found: string;
  fix?: string;
}

export interface DoctorDeps {
  /** Settings to check instead of the process's environment (tests). */
  env?: Record<string, string | undefined>;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  /** The local clock, epoch milliseconds. */
  now: () => number;
}

const settingsCheck = (deps: DoctorDeps): { result: CheckResult; config?: Readonly<Config> } => {
  try {
    const config = deps.env === undefined ? loadConfig() : loadConfig({}, deps.env);
    return { config, result: { check: 'settings', verdict: 'ok', found: `SIGNET_* variables valid (public origin ${config.publicOrigin}, database ${describeDatabase(config)})` } };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      result: {
        check: 'settings',
        verdict: 'fail',
        found: error.message
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .join(' '),
        fix: 'correct the variable named (docs/configuration.md lists every setting and its range)',
      },
    };
  }
};

/** The database and its migrations, opened without creating anything (a missing SQLite file stays missing). */
async function databaseChecks(config: Readonly<Config>): Promise<CheckResult[]> {
  const where = describeDatabase(config);
  if (config.databaseUrl === undefined && config.db !== ':memory:' && !existsSync(config.db)) {
    return [
      { check: 'database', verdict: 'fail', found: `no SQLite database at ${where}`, fix: 'start the server once (signet serve) or run "signet migrate"; or point SIGNET_DB at the server\'s file' },
      { check: 'migrations', verdict: 'skip', found: 'no database to check' },
    ];
  }
  const db = openDatabase(config);
  try {
    try {
      await db.raw('select 1');
    } catch (error) {
      return [
        {
          check: 'database',
          verdict: 'fail',
          found: `cannot query ${where}: ${(error as Error).message}`,
          fix: 'check SIGNET_DATABASE_URL (host, credentials, database) or SIGNET_DB and that the database server runs',
        },
        { check: 'migrations', verdict: 'skip', found: 'no database to check' },
      ];
    }
    const [done, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]];
    return [
      { check: 'database', verdict: 'ok', found: `${where} answers` },
      pending.length === 0
        ? { check: 'migrations', verdict: 'ok', found: `${done.length} applied, none pending` }
        : {
            check: 'migrations',
            verdict: 'fail',
            found: `${pending.length} of ${done.length + pending.length} not applied`,
            fix: 'run "signet migrate" (the server also migrates at start unless SIGNET_MIGRATE_ON_START=false)',
          },
    ];
  } finally {
    await db.destroy();
  }
}

async function redisCheck(config: Readonly<Config>): Promise<CheckResult> {
  if (config.redisUrl === undefined) return { check: 'redis', verdict: 'ok', found: 'not configured: replay cache and rate limits in memory (right for one process)' };
  const redis = openRedis({ url: config.redisUrl, timeoutMs: config.redisTimeoutMs, connectionName: 'signet-doctor' });
  try {
    await waitForRedis(redis, config.redisTimeoutMs);
    await redis.ping();
    return { check: 'redis', verdict: 'ok', found: 'SIGNET_REDIS_URL answers PING' };
  } catch (error) {
    return {
      check: 'redis',
      verdict: 'fail',
      found: `SIGNET_REDIS_URL does not answer: ${(error as Error).message}`,
      fix: 'start Redis or correct SIGNET_REDIS_URL (host, port, password); unset it for a single process',
    };
  } finally {
    await closeRedis(redis);
  }
}

/** The public origin serves Signet, names itself the same, and its clock agrees with this one. */
async function originChecks(config: Readonly<Config>, deps: DoctorDeps): Promise<CheckResult[]> {
  const url = new URL(DISCOVERY_PATH, config.publicOrigin).href;
  const sentAt = deps.now();
  let answer: unknown;
  try {
    const response = await deps.fetch(url, { signal: AbortSignal.timeout(5_000) });
    answer = response.ok ? await response.json() : undefined;
  } catch (error) {
    const cause = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).message;
    return [
      {
        check: 'public origin',
        verdict: 'fail',
        found: `nothing answers at ${url} (${cause})`,
        fix: 'start the server (signet serve), or set SIGNET_PUBLIC_ORIGIN to the address clients use to reach it',
      },
      { check: 'clock', verdict: 'skip', found: 'no server to compare with' },
    ];
  }
  const document = parseDiscoveryDocument(answer);
  const published = (answer as { public_origin?: unknown } | undefined)?.public_origin;
  if (document === undefined) {
    return [
      {
        check: 'public origin',
        verdict: 'fail',
        found: `${url} is not a Signet discovery document`,
        fix: 'SIGNET_PUBLIC_ORIGIN must be the origin of this Signet server (a proxy in front must pass /.well-known/signet through)',
      },
      { check: 'clock', verdict: 'skip', found: 'no server time to compare with' },
    ];
  }
  const origin: CheckResult =
    published === config.publicOrigin
      ? { check: 'public origin', verdict: 'ok', found: `${config.publicOrigin} answers as itself` }
      : {
          check: 'public origin',
          verdict: 'fail',
          found: `${config.publicOrigin} is served by a Signet whose public origin is ${String(published)}`,
          fix: 'give this machine and the server the same SIGNET_PUBLIC_ORIGIN: tokens are signed for it',
        };
  const localSeconds = (sentAt + deps.now()) / 2 / 1000;
  const difference = Math.round(document.server_time + 0.5 - localSeconds);
  const tolerance = document.clock_skew_seconds;
  const clock: CheckResult =
    Math.abs(difference) <= Math.max(2, tolerance / 4)
      ? { check: 'clock', verdict: 'ok', found: `within ${Math.max(1, Math.abs(difference))} s of the server's` }
      : {
          check: 'clock',
          verdict: Math.abs(difference) > tolerance ? 'fail' : 'warn',
          found: `this clock is ${Math.abs(difference)} s ${difference > 0 ? 'behind' : 'ahead of'} the server's (tokens tolerate ${tolerance} s)`,
          fix: 'run NTP (e.g. systemd-timesyncd or chrony) on both machines',
        };
  return [origin, clock];
}

/** Every check, in order; a later check that depends on an earlier failure is skipped, not guessed. */
export async function runChecks(deps: DoctorDeps): Promise<CheckResult[]> {
  const { result, config } = settingsCheck(deps);
  if (config === undefined) {
    return [result, ...['database', 'migrations', 'redis', 'public origin', 'clock'].map((check): CheckResult => ({ check, verdict: 'skip', found: 'the settings are invalid' }))];
  }
  return [result, ...(await databaseChecks(config)), await redisCheck(config), ...(await originChecks(config, deps))];
}
