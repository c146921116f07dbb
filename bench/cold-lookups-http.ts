/**
 * First lookups of cold keys over HTTP: `keyCount` keys in a SQLite database, `signet serve` in a
 * process of its own, and every measured request signed by a key that server has never read (its
 * key cache is cold for it), driven by `connections` concurrent connections. A warm-up on other
 * keys first, so the figures are of cold keys, not of cold code. Then the same keys again, warm, in
 * the same run: on a shared machine the difference is the honest figure, the absolute ones are not.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { drive, percentile } from './drive.js';
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
  warm: { p50Ms: number; p99Ms: number; maxMs: number };
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
  // Every key shares one real public key (each with its own id and consumer), so any id can be signed for.
  const sample = (await seedKeys(dbFile, keyCount, { sampleSize: Math.min(6000, keyCount), publicKey: pair.publicKey })).sort(() => Math.random() - 0.5);
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', new URL('./signet-cli.ts', import.meta.url).pathname, 'serve', '--port', String(port), '--db', dbFile], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIGNET_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`, SIGNET_MAX_TOKEN_LIFETIME: '300', SIGNET_LOG_LEVEL: 'warn' },
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
