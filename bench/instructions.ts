/**
 * `node --import tsx bench/instructions.ts [VARIANT...] [--requests N] [--warmup N] [--connections N]`
 *
 * Instructions per request of each server variant, counted by valgrind's callgrind over every
 * thread of the server process (the thread pool's verifications included). Unlike req/s and CPU
 * time, the count barely moves when other work loads the machine, so it compares two versions of
 * the hot path on a busy machine. The server runs under valgrind (about 50 times slower); the load
 * generator (autocannon, the same `drive` as `npm run bench`) runs outside it and is not counted.
 * After a warm-up (JIT, caches) the counters are zeroed, N requests are driven, and the counters
 * are dumped: the figure is the dump's total divided by N. Needs valgrind (`callgrind_control`).
 * The server is bundled with esbuild first (tsx under valgrind takes minutes to start), as plain
 * JavaScript like the compiled package.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { drive } from './drive.js';
import type { InProcessVariantName } from './variants.js';

const { values, positionals } = parseArgs({
  options: { requests: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' } },
  allowPositionals: true,
});
const requests = Number(values.requests ?? 2000);
const warmup = Number(values.warmup ?? 3000);
const connections = Number(values.connections ?? 10);
const variants = (positionals.length > 0 ? positionals : ['bare', 'floor-async', 'signet', 'hmac']) as InProcessVariantName[];
/** Variants that remember no nonce: one token may be sent again. */
const NO_REPLAY_CHECK = new Set(['bare', 'floor', 'floor-async']);

const pair = await generateKeyPair();
const publicKey = encodeBase64url(pair.publicKey);
const dir = mkdtempSync(join(tmpdir(), 'signet-instructions-'));
const server = await bundleServer();

async function tokens(count: number, port: number, kid: string, secret: string | undefined, variant: string): Promise<Record<string, string>[]> {
  const url = `http://127.0.0.1:${port}/v1/whoami`;
  const key = secret === undefined ? { type: 'ed25519' as const, privateKey: pair.privateKey } : { type: 'hmac' as const, secret: new TextEncoder().encode(secret) };
  const distinct = NO_REPLAY_CHECK.has(variant) ? Math.min(count, 500) : count;
  const signed = await Promise.all(Array.from({ length: distinct }, () => signRequest({ method: 'GET', url, key, kid, lifetimeSeconds: 300 })));
  return Array.from({ length: count }, (_, i) => ({ authorization: signed[i % distinct]!.authorization }));
}

function started(child: ChildProcess): Promise<{ port: number; kid: string; secret?: string }> {
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** The `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
function totalOf(file: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('totals:') || l.startsWith('summary:'));
  if (line === undefined) throw new Error(`no totals in ${file}`);
  return Number(line.split(/\s+/)[1]);
}

/** bench/server-process.ts as one ES module, next to node_modules so its packages resolve. */
async function bundleServer(): Promise<string> {
  const outfile = new URL(`../node_modules/.cache/signet-instructions/server-process-${process.pid}.mjs`, import.meta.url).pathname;
  await build({ entryPoints: [new URL('./server-process.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning' });
  return outfile;
}

async function count(variant: InProcessVariantName): Promise<{ variant: string; instructionsPerRequest: number; non2xx: number }> {
  const out = join(dir, variant);
  const child = fork(server, [variant, publicKey, join(dir, `${variant}.sqlite`)], {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', `--callgrind-out-file=${out}.%p`, '--quiet', process.execPath],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port, kid, secret } = await started(child);
    process.stderr.write(`${variant}: started under valgrind, warming up...\n`);
    const warm = await tokens(warmup, port, kid, secret, variant);
    await drive({ port, connections, tokens: warm, amount: warm.length });
    const measured = await tokens(requests, port, kid, secret, variant);
    process.stderr.write(`${variant}: counting ${requests} requests...\n`);
    execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
    const { result } = await drive({ port, connections, tokens: measured, amount: measured.length });
    execFileSync('callgrind_control', ['--dump=measured', String(child.pid)], { stdio: 'ignore' });
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`${variant}.${child.pid}.`));
    const total = dumps.map((f) => totalOf(join(dir, f))).reduce((a, b) => a + b, 0);
    return { variant, instructionsPerRequest: Math.round(total / result.requests.total), non2xx: result.non2xx + result.errors };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

try {
  console.log(`${requests} requests after ${warmup} of warm-up, ${connections} connections, Node ${process.version}\n`);
  console.log('| variant | instructions per request | non-2xx |');
  console.log('| --- | --- | --- |');
  for (const variant of variants) {
    const row = await count(variant);
    console.log(`| ${row.variant} | ${row.instructionsPerRequest.toLocaleString('en')} | ${row.non2xx} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
