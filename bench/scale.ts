/**
 * `npm run bench:scale [-- --keys N] [--entries N]`: the store-side targets at a million keys
 * and entries (docs/performance.md):
 *  - replay store bytes per live entry at 1,000,000 entries;
 *  - p99 of a cold key lookup among 1,000,000 keys in SQLite (keys never read before by this
 *    process, after a warm-up on other keys; no cache in front);
 *  - server start time with 1,000,000 keys (keys are never loaded eagerly).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { startServer } from '../src/server/start.js';
import { silentLogger } from '../src/server/logger.js';
import { openSqlite } from '../src/store/factory.js';
import { KnexCredentialStore } from '../src/store/knex-credential-store.js';
import { consumerRow, keyRow } from '../src/store/knex-rows.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';
import { migrateToLatest } from '../src/store/migrations.js';

const { values } = parseArgs({ options: { keys: { type: 'string' }, entries: { type: 'string' } } });
const keyCount = Number(values.keys ?? 1_000_000);
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

async function seed(dbFile: string): Promise<string[]> {
  const db = openSqlite(dbFile);
  await migrateToLatest(db);
  const sample: string[] = [];
  const now = Date.now();
  const perBatch = 5000;
  for (let done = 0; done < keyCount; done += perBatch) {
    await db.transaction(async (trx) => {
      const consumers = [];
      const keys = [];
      for (let i = 0; i < Math.min(perBatch, keyCount - done); i++) {
        const consumerId = newConsumerId();
        const id = newKeyId();
        if ((done + i) % Math.max(1, Math.floor(keyCount / 4000)) === 0) sample.push(id);
        consumers.push(consumerRow({ id: consumerId, name: `c${done + i}` }, now));
        keys.push(keyRow({ id, consumerId, type: 'ed25519', publicKey: randomBytes(32), thumbprint: randomBytes(32).toString('base64url') }, now));
      }
      // SQLite allows at most 32766 bound variables a statement.
      await trx.batchInsert('consumers', consumers, 500);
      await trx.batchInsert('keys', keys, 500);
    });
    if (done % 100_000 === 0) process.stderr.write(`seeded ${done} keys\n`);
  }
  await db.destroy();
  return sample;
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
  const replay = await replayBytesPerEntry();
  console.log(`replay store: ${replay.entries} live entries, ${replay.tableBytesPerEntry.toFixed(1)} bytes/entry in its tables, ${replay.processBytesPerEntry.toFixed(1)} bytes/entry of process memory`);
  const dbFile = join(dir, 'scale.sqlite');
  const sample = await seed(dbFile);
  const lookups = await coldLookups(dbFile, sample);
  console.log(`cold key lookup among ${keyCount} keys: p50 ${lookups.p50Ms.toFixed(3)} ms, p99 ${lookups.p99Ms.toFixed(3)} ms, max ${lookups.maxMs.toFixed(3)} ms over ${lookups.lookups} lookups`);
  const start = await startTime(dbFile);
  console.log(`server start with ${keyCount} keys: ${start.startMs.toFixed(0)} ms`);
  console.log(JSON.stringify({ node: process.version, keyCount, replay, lookups, start }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
