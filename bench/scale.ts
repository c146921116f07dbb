/**
 * `npm run bench:scale [-- --keys N] [--entries N]`: the store-side targets at a million keys
 * and entries (docs/performance.md):
 *  - replay store bytes per live entry at 1,000,000 entries;
 *  - p99 of a cold key lookup among 1,000,000 keys in SQLite (keys never read before by this
 *    process, after a warm-up on other keys; no cache in front);
 *  - server start time with 1,000,000 keys (keys are never loaded eagerly).
 * `npm run bench:scale -- --http [--keys N] [--connections N] [--pg URL]`: instead, first lookups of
 *    cold keys among N keys (default 100,000) over HTTP against `signet serve`, N concurrent
 *    connections (default 50), on SQLite or (--pg) PostgreSQL: bench/cold-lookups-http.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/clock.js';
import { coldLookupsOverHttp } from './cold-lookups-http.js';
import { seedKeys } from './seed-keys.js';
import { loadConfig } from '../src/config.js';
import { newKeyId } from '../src/protocol/ids.js';
import { startServer } from '../src/server/start.js';
import { silentLogger } from '../src/server/logger.js';
import { openSqlite } from '../src/store/factory.js';
import { KnexCredentialStore } from '../src/store/knex-credential-store.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';

const { values } = parseArgs({ options: { keys: { type: 'string' }, entries: { type: 'string' }, http: { type: 'boolean' }, connections: { type: 'string' }, pg: { type: 'string' } } });
const overHttp = values.http === true;
const keyCount = Number(values.keys ?? (overHttp ? 100_000 : 1_000_000));
const entryCount = Number(values.entries ?? 1_000_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function replayBytesPerEntry(): Promise<{ entries: number; tableBytesPerEntry: number; processBytesPerEntry: number }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  global.gc?.();
  const before = process.memoryUsage();
  const store = new MemoryReplayStore({ clock, capacity: entryCount * 2 });
  const kid = newKeyId();
  // Spread over a 5-minute window of expiries, as live traffic would be.
  for (let i = 0; i < entryCount; i++) store.checkAndSetSync(kid, `jti-${i.toString(36).padStart(22, '0')}`, clock.now() + 60_000 + (i % 300) * 1000);
  global.gc?.();
  const after = process.memoryUsage();
  const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  return { entries: store.size(), tableBytesPerEntry: store.bytes() / entryCount, processBytesPerEntry: grown / entryCount };
}

async function coldLookups(dbFile: string, sample: string[]): Promise<{ lookups: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const db = openSqlite(dbFile);
  const store = new KnexCredentialStore(db);
  const times: number[] = [];
  const shuffled = sample.sort(() => Math.random() - 0.5);
  // A running server has warm code paths: warm up on keys that are then never measured, so every
  // measured lookup is still of a key this process has not read before (cold for the key cache).
  const warmUp = shuffled.splice(0, Math.floor(shuffled.length / 4));
  for (const kid of warmUp) await store.findKey(kid);
  for (const kid of shuffled) {
    const started = performance.now();
    const found = await store.findKey(kid);
    times.push(performance.now() - started);
    if (found === undefined) throw new Error(`seeded key ${kid} not found`);
  }
  await db.destroy();
  times.sort((a, b) => a - b);
  return { lookups: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), maxMs: times[times.length - 1]! };
}

async function startTime(dbFile: string): Promise<{ startMs: number }> {
  const config = loadConfig({ db: dbFile, port: 0, logLevel: 'silent' }, {});
  const started = performance.now();
  const running = await startServer(config, { logger: silentLogger() });
  const ms = performance.now() - started;
  await running.close();
  return { startMs: ms };
}

const dir = mkdtempSync(join(tmpdir(), 'signet-scale-'));
console.log(`Node ${process.version} (OpenSSL ${process.versions.openssl})`);
try {
  if (overHttp) {
    const cold = await coldLookupsOverHttp(join(dir, 'scale.sqlite'), keyCount, Number(values.connections ?? 50), values.pg);
    console.log(`database: ${values.pg === undefined ? 'SQLite' : 'PostgreSQL (a schema of its own, dropped afterwards)'}`);
    console.log(
      `first lookups of cold keys among ${cold.keyCount} keys over HTTP, ${cold.connections} connections: p50 ${cold.p50Ms.toFixed(2)} ms, p99 ${cold.p99Ms.toFixed(2)} ms, max ${cold.maxMs.toFixed(2)} ms over ${cold.lookups} requests (${cold.non2xx} not 2xx); the same keys warm: p50 ${cold.warm.p50Ms.toFixed(2)} ms, p99 ${cold.warm.p99Ms.toFixed(2)} ms (${cold.warm.requestsPerSecond} req/s)`,
    );
    const { cold: reads, warm: warmReads } = cold.serverReads;
    console.log(
      `  server-timed key reads: cold pass ${reads.reads} reads, p50 <= ${reads.p50AtMostMs === Infinity ? '(over 1 s)' : reads.p50AtMostMs} ms, p99 <= ${reads.p99AtMostMs === Infinity ? '(over 1 s)' : reads.p99AtMostMs} ms; warm pass ${warmReads.reads} reads (cache hits cost no read)`,
    );
    const p = cold.paced;
    console.log(
      `  paced at ${p.rate} req/s (half the warm pass), ${p.lookups} other keys: cold p50 ${p.cold.p50Ms.toFixed(2)} ms, p99 ${p.cold.p99Ms.toFixed(2)} ms; the same keys warm p50 ${p.warm.p50Ms.toFixed(2)} ms, p99 ${p.warm.p99Ms.toFixed(2)} ms (${p.non2xx} not 2xx)`,
    );
    console.log(JSON.stringify({ node: process.version, coldOverHttp: cold }));
  } else {
    const replay = await replayBytesPerEntry();
    console.log(
      `replay store: ${replay.entries} live entries, ${replay.tableBytesPerEntry.toFixed(1)} bytes/entry in its tables, ${replay.processBytesPerEntry.toFixed(1)} bytes/entry of process memory`,
    );
    const dbFile = join(dir, 'scale.sqlite');
    const sample = await seedKeys(dbFile, keyCount, { sampleSize: 4000 });
    const lookups = await coldLookups(dbFile, sample);
    console.log(`cold key lookup among ${keyCount} keys: p50 ${lookups.p50Ms.toFixed(3)} ms, p99 ${lookups.p99Ms.toFixed(3)} ms, max ${lookups.maxMs.toFixed(3)} ms over ${lookups.lookups} lookups`);
    const start = await startTime(dbFile);
    console.log(`server start with ${keyCount} keys: ${start.startMs.toFixed(0)} ms`);
    console.log(JSON.stringify({ node: process.version, keyCount, replay, lookups, start }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
