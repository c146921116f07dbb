/**
 * First lookups of cold keys over HTTP: `keyCount` keys in a SQLite database, `signet serve` in a
 * process of its own, and every measured request signed by a key that server has never read (its
 * key cache is cold for it), driven by `connections` concurrent connections. A warm-up on other
 * keys first, so the figures are of cold keys, not of cold code. Then the same keys again, warm, in
 * the same run: on a shared machine the difference is the honest figure, the absolute ones are not.
 *
 * At full load end-to-end latency is mostly queueing (a saturated server answers warm keys slowly
 * too), so two more figures say what the lookup itself costs:
 *  - the server's own timing of each database read of a key (signet_key_store_read_seconds from
 *    /metrics, a histogram: a percentile is the bucket bound it falls under), cold pass and warm;
 *  - a second set of cold keys and then the same keys warm, sent at a steady rate of half what the
 *    warm pass reached (bench/paced.ts), where queueing is small and the difference is the lookup.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { openPostgres } from '../src/store/postgres.js';
import { createServer } from 'node:net';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { drive, percentile } from './drive.js';
import { paced } from './paced.js';
import { seedKeys } from './seed-keys.js';

export interface ColdLookupsOverHttp {
  keyCount: number;
  connections: number;
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  /** The same keys again with fresh tokens, now cached: what the cold lookup adds is the difference. */
  warm: { p50Ms: number; p99Ms: number; maxMs: number; requestsPerSecond: number };
  /** Key reads from the database as the server timed them: upper bucket bounds in ms. */
  serverReads: { cold: ServerReads; warm: ServerReads };
  /** Other cold keys, then the same keys warm, at a steady rate below saturation. */
  paced: { rate: number; lookups: number; cold: { p50Ms: number; p99Ms: number }; warm: { p50Ms: number; p99Ms: number }; non2xx: number };
}

interface ServerReads {
  reads: number;
  p50AtMostMs: number;
  p99AtMostMs: number;
}

/** The cumulative buckets of signet_key_store_read_seconds{result="found"} in one /metrics text. */
async function readBuckets(port: number): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(/^signet_key_store_read_seconds_bucket\{le="([^"]+)",result="found"\} (\d+)$/gm)) {
    buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return buckets;
}

/** Percentiles of the reads between two scrapes, as the upper bound of the bucket each falls in. */
function readsBetween(before: Map<number, number>, after: Map<number, number>): ServerReads {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => after.get(le)! - (before.get(le) ?? 0));
  const reads = counts[counts.length - 1] ?? 0;
  const at = (p: number) => {
    if (reads === 0) return 0;
    const index = counts.findIndex((cumulative) => cumulative >= Math.ceil((p / 100) * reads));
    return bounds[index]! * 1000;
  };
  return { reads, p50AtMostMs: at(50), p99AtMostMs: at(99) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `pgUrl`: the keys go into a schema of their own on that PostgreSQL database (dropped at the end)
 * and the server reads them there; otherwise into the SQLite file `dbFile`.
 */
export async function coldLookupsOverHttp(dbFile: string, keyCount: number, connections: number, pgUrl?: string): Promise<ColdLookupsOverHttp> {
  const pair = await generateKeyPair();
  const schema = `signet_bench_${randomBytes(4).toString('hex')}`;
  const schemaUrl = pgUrl === undefined ? undefined : withSearchPath(pgUrl, schema);
  if (pgUrl !== undefined) await onPostgres(pgUrl, (db) => db.raw('create schema ??', [schema]));
  try {
    return await measure(pair, dbFile, keyCount, connections, schemaUrl);
  } finally {
    if (pgUrl !== undefined) await onPostgres(pgUrl, (db) => db.raw('drop schema if exists ?? cascade', [schema]));
  }
}

async function onPostgres(url: string, run: (db: Knex) => Promise<unknown>): Promise<void> {
  const db = openPostgres({ url, poolMax: 1, connectTimeoutMs: 5000, queryTimeoutMs: 60_000 });
  try {
    await run(db);
  } finally {
    await db.destroy();
  }
}

/** The libpq `options` parameter sets the search_path of every connection opened with this URL. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function measure(pair: { publicKey: Uint8Array; privateKey: CryptoKey }, dbFile: string, keyCount: number, connections: number, pgUrl: string | undefined): Promise<ColdLookupsOverHttp> {
  const open = pgUrl === undefined ? undefined : () => openPostgres({ url: pgUrl, poolMax: 4, connectTimeoutMs: 5000, queryTimeoutMs: 60_000 });
  // Every key shares one real public key (each with its own id and consumer), so any id can be signed for.
  const sample = (await seedKeys(dbFile, keyCount, { sampleSize: Math.min(8000, keyCount), publicKey: pair.publicKey, ...(open !== undefined ? { open } : {}) })).sort(() => Math.random() - 0.5);
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', new URL('./signet-cli.ts', import.meta.url).pathname, 'serve', '--port', String(port), ...(pgUrl === undefined ? ['--db', dbFile] : [])], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SIGNET_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
      SIGNET_MAX_TOKEN_LIFETIME: '300',
      SIGNET_LOG_LEVEL: 'warn',
      // A shared database needs a master key of its own for HMAC secrets (none are used here).
      ...(pgUrl !== undefined ? { SIGNET_DATABASE_URL: pgUrl, SIGNET_MASTER_KEY: randomBytes(32).toString('base64url') } : {}),
      // Cached keys must outlive the run, however slow the machine, or the warm pass is not warm.
      SIGNET_KEY_CACHE_TTL_MS: '3600000',
      // Passed through so a run can compare the synchronous key read with the asynchronous one.
      ...(process.env.SIGNET_SQLITE_SYNC_READ !== undefined ? { SIGNET_SQLITE_SYNC_READ: process.env.SIGNET_SQLITE_SYNC_READ } : {}),
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  try {
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (/signet listening on/.test(stderr)) resolve();
      });
      server.once('exit', (code) => reject(new Error(`signet serve exited with ${code}: ${stderr}`)));
    });
    const url = `http://127.0.0.1:${port}/v1/whoami`;
    const sign = (kid: string) => signRequest({ method: 'GET', url, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, lifetimeSeconds: 300 });
    const tokens = async (kids: string[]) => (await Promise.all(kids.map(sign))).map((s) => ({ authorization: s.authorization }));
    const warmUp = sample.splice(0, Math.floor(sample.length / 4));
    const pacedKeys = sample.splice(0, Math.floor(sample.length / 2));
    await drive({ port, connections, tokens: await tokens(warmUp), amount: warmUp.length });
    const beforeCold = await readBuckets(port);
    const measured = await drive({ port, connections, tokens: await tokens(sample), amount: sample.length });
    const afterCold = await readBuckets(port);
    const { latencies, result } = measured;
    const warmRun = await drive({ port, connections, tokens: await tokens(sample), amount: sample.length });
    const afterWarm = await readBuckets(port);
    const again = warmRun.latencies;
    const rate = Math.max(1, Math.round(sample.length / warmRun.seconds / 2));
    const pacedCold = await paced({ port, connections, tokens: await tokens(pacedKeys), amount: pacedKeys.length, rate });
    const pacedWarm = await paced({ port, connections, tokens: await tokens(pacedKeys), amount: pacedKeys.length, rate });
    return {
      keyCount,
      connections,
      lookups: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1]!,
      non2xx: result.non2xx,
      warm: { p50Ms: percentile(again, 50), p99Ms: percentile(again, 99), maxMs: again[again.length - 1]!, requestsPerSecond: Math.round(sample.length / warmRun.seconds) },
      serverReads: { cold: readsBetween(beforeCold, afterCold), warm: readsBetween(afterCold, afterWarm) },
      paced: {
        rate,
        lookups: pacedKeys.length,
        cold: { p50Ms: percentile(pacedCold.latencies, 50), p99Ms: percentile(pacedCold.latencies, 99) },
        warm: { p50Ms: percentile(pacedWarm.latencies, 50), p99Ms: percentile(pacedWarm.latencies, 99) },
        non2xx: pacedCold.non2xx + pacedCold.errors + pacedWarm.non2xx + pacedWarm.errors,
      },
    };
  } finally {
    server.kill('SIGTERM');
  }
}
