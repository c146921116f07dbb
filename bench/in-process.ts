/**
 * CPU per request of a whole server variant in process: Node's HTTP request and response objects,
 * Koa, every middleware and the handler, on a socket that throws its bytes away. No system calls,
 * no load generator and no loopback delivery, so the figure moves far less with other work on the
 * machine than the socket benchmark's, and it prices exactly what the app does per request.
 *
 * `node --import tsx bench/in-process.ts [VARIANT...] [--count N] [--rounds R]`
 * (variants of bench/variants.ts, e.g. `signet signet-redis` with Redis at 127.0.0.1:6379; default bare floor-async signet hmac). Each round drives COUNT
 * GET /v1/whoami requests, CONCURRENCY at a time, each with a distinct signed token, and prints the
 * process's CPU time (user + system, thread pool included) per request; the table gives the
 * median round and the spread. `--cpu-prof DIR` writes a V8 CPU profile of the measured rounds
 * (not the signing or the warm-up) of each variant to DIR, sampled every 50 µs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { VARIANTS, type BuiltVariant } from './variants.js';
import { driveInProcess } from './in-process-request.js';

const { values, positionals } = parseArgs({
  options: { count: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' }, 'cpu-prof': { type: 'string' } },
  allowPositionals: true,
});
const count = Number(values.count ?? 5000);
const rounds = Number(values.rounds ?? 5);
const concurrency = Number(values.concurrency ?? 20);
const names = (positionals.length > 0 ? positionals : ['bare', 'floor-async', 'signet', 'hmac']) as (keyof typeof VARIANTS)[];
const profileDir = values['cpu-prof'];
const PORT = 3999;
const ORIGIN = `http://127.0.0.1:${PORT}`;

const drive = (callback: BuiltVariant['callback'], tokens: (string | undefined)[]) => driveInProcess(callback, tokens, { concurrency, port: PORT });

async function sign(kid: string, privateKey: CryptoKey, secret: string | undefined, amount: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < amount; i += 256) {
    const signed = await Promise.all(
      Array.from({ length: Math.min(256, amount - i) }, () =>
        signRequest({
          method: 'GET',
          url: `${ORIGIN}/v1/whoami`,
          key: secret === undefined ? { type: 'ed25519', privateKey } : { type: 'hmac', secret: new TextEncoder().encode(secret) },
          kid,
          lifetimeSeconds: 300,
        }),
      ),
    );
    for (const s of signed) out.push(s.authorization);
  }
  return out;
}

const pair = await generateKeyPair();
const dir = mkdtempSync(join(tmpdir(), 'signet-in-process-'));
const rows: string[] = [];
for (const name of names) {
  const variant = await VARIANTS[name]({ publicKey: encodeBase64url(pair.publicKey), port: PORT, dbFile: join(dir, `${name}.sqlite`) });
  const tokens = await sign(variant.kid, pair.privateKey, variant.secret, 3000 + count * rounds);
  const warm = await drive(variant.callback, tokens.slice(0, 3000));
  const figures: number[] = [];
  let failures = warm.failures;
  const session = profileDir === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
  }
  for (let round = 0; round < rounds; round++) {
    const from = 3000 + round * count;
    const result = await drive(variant.callback, tokens.slice(from, from + count));
    figures.push(result.cpuUs);
    failures += result.failures;
  }
  if (session !== undefined && profileDir !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  await variant.close();
  const sorted = [...figures].sort((a, b) => a - b);
  rows.push(`| ${name.padEnd(11)} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1).padStart(6)} | ${sorted[0]!.toFixed(1)} to ${sorted.at(-1)!.toFixed(1)} | ${failures} |`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${count} requests a round, ${rounds} rounds, ${concurrency} at a time\n`);
console.log('| variant     | CPU µs/req (median) | rounds | non-200 |');
console.log('| ----------- | ------ | ------ | ------- |');
for (const row of rows) console.log(row);
