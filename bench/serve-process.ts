/**
 * Runs `signet serve` (one process, or a primary with its workers) for bench/run.ts and speaks the
 * same IPC as bench/server-process.ts: {ready, port, kid}, 'mark', 'stats', 'stop'. CPU time and
 * peak RSS are summed over the whole process tree from /proc (Linux), so a variant with two
 * workers is charged for both.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { dropRedisPrefix, seedReplayEpoch } from '../test/helpers/services.js';
import { decodeBase64url } from '../src/protocol/base64url.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import { openSqlite } from '../src/store/factory.js';
import { KnexCredentialStore } from '../src/store/knex-credential-store.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { cpuMicros, processTree } from './process-tree.js';
import { SERVE_VARIANTS, type ServeVariantName } from './serve-variants.js';

const [variant, publicKey, dbFile, redisUrl, profileDir] = process.argv.slice(2) as [ServeVariantName, string, string, string, string | undefined];
const settings = SERVE_VARIANTS[variant];

// The consumer is written before the server starts; the server finds the database migrated.
const db = openSqlite(dbFile);
await migrateToLatest(db);
const kid = newKeyId();
const key = decodeBase64url(publicKey);
await new KnexCredentialStore(db).createConsumerWithKey(
  { id: newConsumerId(), name: 'bench' },
  { id: kid, consumerId: '', type: 'ed25519', publicKey: key, thumbprint: await jwkThumbprint(key) },
  Date.now(),
);
await db.destroy();

const port = await new Promise<number>((resolve) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => {
    const chosen = (probe.address() as { port: number }).port;
    probe.close(() => resolve(chosen));
  });
});

const prefix = `signet-bench:${randomBytes(4).toString('hex')}:`;
// A Redis "in service": without the epoch marker the first SIGNET_CLOCK_SKEW seconds refuse tokens.
if (settings.redis) await seedReplayEpoch(redisUrl, prefix);

const child = spawn(
  process.execPath,
  [
    // --cpu-prof DIR of bench/run.ts: a V8 CPU profile of the server process.
    ...(profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    '--import',
    'tsx',
    new URL('./signet-cli.ts', import.meta.url).pathname,
    'serve',
    '--port',
    String(port),
    '--db',
    dbFile,
    '--workers',
    String(settings.workers),
  ],
  {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SIGNET_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
      SIGNET_MAX_TOKEN_LIFETIME: '300',
      SIGNET_LOG_LEVEL: 'warn',
      // Passed through so a run can take the thread-pool choice out of a comparison (e.g. `=true`).
      ...(process.env.SIGNET_VERIFY_THREAD_POOL !== undefined ? { SIGNET_VERIFY_THREAD_POOL: process.env.SIGNET_VERIFY_THREAD_POOL } : {}),
      ...(settings.redis ? { SIGNET_REDIS_URL: redisUrl, SIGNET_REDIS_PREFIX: prefix } : {}),
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  },
);
let stderr = '';
await new Promise<void>((resolve, reject) => {
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (/signet listening on/.test(stderr)) resolve();
  });
  child.once('exit', (code) => reject(new Error(`signet serve exited with ${code}: ${stderr}`)));
});

/** The server's process and its workers. */
function tree(): number[] {
  return processTree(child.pid!);
}

function peakRssBytes(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    total += Number(match?.[1] ?? 0) * 1024;
  }
  return total;
}

/**
 * Redis's own work, read from INFO: its CPU time (µs) and the commands it ran (every client's:
 * meaningful on a Redis this run has to itself). Redis shares the machine's cores with the server.
 */
const observer = settings.redis ? new Redis(redisUrl) : undefined;
async function redisWork(): Promise<{ cpuMicros: number; commands: number } | undefined> {
  if (observer === undefined) return undefined;
  const cpu = await observer.info('cpu');
  const stats = await observer.info('stats');
  const seconds = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
  const processed = Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? 0);
  return { cpuMicros: Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6), commands: processed };
}

let cpuAtMark = cpuMicros(tree());
let redisAtMark = await redisWork();
process.send!({ type: 'ready', port, kid });

process.on('message', async (message: { type: string }) => {
  if (message.type === 'mark') {
    cpuAtMark = cpuMicros(tree());
    redisAtMark = await redisWork();
  } else if (message.type === 'stats') {
    const pids = tree();
    const server = cpuMicros(pids) - cpuAtMark;
    const redis = await redisWork();
    // The two INFO reads of each end (2 + 2 commands) are not the server's.
    const redisDelta = redis !== undefined && redisAtMark !== undefined ? { cpuMicros: redis.cpuMicros - redisAtMark.cpuMicros, commands: redis.commands - redisAtMark.commands - 4 } : undefined;
    process.send!({ type: 'stats', cpuMicros: server, maxRssBytes: peakRssBytes(pids), ...(redisDelta !== undefined ? { redis: redisDelta } : {}) });
  } else if (message.type === 'stop') {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    observer?.disconnect();
    if (settings.redis) await dropRedisPrefix(redisUrl, prefix);
    process.exit(0);
  }
});
