/**
 * First lookups of cold keys over HTTP: `keyCount` keys in a SQLite database, `signet serve` in a
 * process of its own, and every measured request signed by a key that server has never read (its
 * key cache is cold for it), driven by `connections` concurrent connections. A warm-up on other
 * keys first, so the figures are of cold keys, not of cold code. Then the same keys again, warm, in
 * the same run: on a shared machine the difference is the honest figure, the absolute ones are not.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { generateKeyPair } from '../src/client/keys.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { signRequest } from '../src/client/sign.js';
import { openSqlite } from '../src/store/factory.js';
import { consumerRow, keyRow } from '../src/store/knex-rows.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { drive, percentile } from './drive.js';

export interface ColdLookupsOverHttp {
  keyCount: number;
  connections: number;
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  /** The same keys again with fresh tokens, now cached: what the cold lookup adds is the difference. */
  warm: { p50Ms: number; p99Ms: number; maxMs: number };
}

/** Every key shares one real public key (each with its own id and consumer), so any id can be signed for. */
async function seed(dbFile: string, keyCount: number, publicKey: Uint8Array, sampleSize: number): Promise<string[]> {
  const db = openSqlite(dbFile);
  await migrateToLatest(db);
  const sample: string[] = [];
  const every = Math.max(1, Math.floor(keyCount / sampleSize));
  const now = Date.now();
  const perBatch = 5000;
  for (let done = 0; done < keyCount; done += perBatch) {
    await db.transaction(async (trx) => {
      const consumers = [];
      const keys = [];
      for (let i = 0; i < Math.min(perBatch, keyCount - done); i++) {
        const consumerId = newConsumerId();
        const id = newKeyId();
        if ((done + i) % every === 0) sample.push(id);
        consumers.push(consumerRow({ id: consumerId, name: `c${done + i}` }, now));
        keys.push(keyRow({ id, consumerId, type: 'ed25519', publicKey, thumbprint: randomBytes(32).toString('base64url') }, now));
      }
      await trx.batchInsert('consumers', consumers, 500);
      await trx.batchInsert('keys', keys, 500);
    });
  }
  await db.destroy();
  return sample.sort(() => Math.random() - 0.5);
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

export async function coldLookupsOverHttp(dbFile: string, keyCount: number, connections: number): Promise<ColdLookupsOverHttp> {
  const pair = await generateKeyPair();
  const sample = await seed(dbFile, keyCount, pair.publicKey, Math.min(6000, keyCount));
  const port = await freePort();
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./signet-cli.ts', import.meta.url).pathname, 'serve', '--port', String(port), '--db', dbFile],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIGNET_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`, SIGNET_MAX_TOKEN_LIFETIME: '300', SIGNET_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
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
    await drive({ port, connections, tokens: await tokens(warmUp), amount: warmUp.length });
    const measured = await drive({ port, connections, tokens: await tokens(sample), amount: sample.length });
    const { latencies, result } = measured;
    const again = (await drive({ port, connections, tokens: await tokens(sample), amount: sample.length })).latencies;
    return {
      keyCount,
      connections,
      lookups: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1]!,
      non2xx: result.non2xx,
      warm: { p50Ms: percentile(again, 50), p99Ms: percentile(again, 99), maxMs: again[again.length - 1]! },
    };
  } finally {
    server.kill('SIGTERM');
  }
}
