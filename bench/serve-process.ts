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
import { decodeBase64url } from '../src/protocol/base64url.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import { openSqlite } from '../src/store/factory.js';
import { KnexCredentialStore } from '../src/store/knex-credential-store.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { cpuMicros, processTree } from './process-tree.js';
import { SERVE_VARIANTS, type ServeVariantName } from './serve-variants.js';

const [variant, publicKey, dbFile, redisUrl] = process.argv.slice(2) as [ServeVariantName, string, string, string];
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
if (settings.redis) {
  // A Redis "in service": without the epoch marker the first SIGNET_CLOCK_SKEW seconds refuse tokens.
  const redis = new Redis(redisUrl);
  await redis.set(`${prefix}replay-epoch`, '0');
  redis.disconnect();
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', new URL('./signet-cli.ts', import.meta.url).pathname, 'serve', '--port', String(port), '--db', dbFile, '--workers', String(settings.workers)],
  {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SIGNET_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
      SIGNET_MAX_TOKEN_LIFETIME: '300',
      SIGNET_LOG_LEVEL: 'warn',
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

let cpuAtMark = cpuMicros(tree());
process.send!({ type: 'ready', port, kid });

process.on('message', async (message: { type: string }) => {
  if (message.type === 'mark') {
    cpuAtMark = cpuMicros(tree());
  } else if (message.type === 'stats') {
    const pids = tree();
    process.send!({ type: 'stats', cpuMicros: cpuMicros(pids) - cpuAtMark, maxRssBytes: peakRssBytes(pids) });
  } else if (message.type === 'stop') {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (settings.redis) {
      const redis = new Redis(redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    }
    process.exit(0);
  }
});
