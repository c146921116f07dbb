/**
 * `npm run bench [-- SCENARIO...] [--quick] [--pin] [--connections N] [--duration S] [--redis URL]`
 *
 * Starts each server variant in its own process on 127.0.0.1, drives GET /v1/whoami with
 * autocannon using distinct pre-signed tokens, and prints requests/s, p50, p99, server CPU per
 * request and peak RSS, with ratios against the baselines measured in the same run. Writes the
 * same figures as JSON to bench/results/. Never part of `npm test`.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyObject } from 'node:crypto';
import autocannon from 'autocannon';
import { newJti } from '../src/protocol/ids.js';
import { signRfc9421 } from './peers.js';
import { generateKeyPair } from '../src/client/keys.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { signRequest } from '../src/protocol/sign.js';
import type { VariantName } from './variants.js';
import { isServeVariant } from './serve-variants.js';

const SCENARIOS: Record<string, { variants: VariantName[]; baselines: VariantName[]; description: string }> = {
  core: {
    variants: ['bare', 'floor', 'floor-async', 'signet'],
    baselines: ['bare', 'floor', 'floor-async'],
    description: 'Signet full verifier vs bare Koa and the verify floor (crypto.verify alone, synchronous and on the thread pool)',
  },
  hmac: { variants: ['bare', 'signet', 'hmac'], baselines: ['bare', 'signet'], description: 'Signet in HMAC mode (HS256) vs bare Koa and Signet Ed25519' },
  peers: {
    variants: ['floor', 'jose-peer', 'rfc9421-peer', 'pipeline'],
    baselines: ['floor', 'jose-peer', 'rfc9421-peer'],
    description: 'Signet full pipeline vs a hand-written jose middleware (key read from the database per request) and RFC 9421 signatures (http-message-signatures)',
  },
  threadpool: { variants: ['floor', 'floor-async'], baselines: ['floor'], description: 'crypto.verify on the main thread vs on the libuv thread pool' },
  workers: {
    variants: ['serve-memory', 'serve-redis', 'serve-workers-2'],
    baselines: ['serve-memory', 'serve-redis'],
    description: 'issue 7: `signet serve` on memory stores, on Redis, and `--workers 2` on Redis (needs Redis: --redis URL)',
  },
  pipeline: {
    variants: ['verifier', 'pipeline'],
    baselines: ['verifier'],
    description: 'issue 6: rate limits, usage recording, metrics and the failure gate against the verifier alone (target: at least 0.90)',
  },
};

const { values, positionals } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    'cpu-prof': { type: 'string' },
    redis: { type: 'string' },
    pin: { type: 'boolean' },
  },
  allowPositionals: true,
});
const quick = values.quick === true;
const connections = Number(values.connections ?? 50);
const durationSeconds = Number(values.duration ?? (quick ? 3 : 10));
/** The Redis the `workers` scenario uses (each variant under a key prefix of its own, deleted after). */
const redisUrl = values.redis ?? 'redis://127.0.0.1:6379';
/**
 * --pin: the load generator on the last CPU, every server process (and its threads) on the others,
 * so the two never take turns on a core and the server's figures are its own work (Linux, taskset).
 */
const pin = values.pin === true ? pinning() : undefined;
const scenarios = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
for (const name of scenarios) {
  if (SCENARIOS[name] === undefined) {
    console.error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}

interface Row {
  variant: VariantName;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  /** The load generator's own CPU per request: near 1e6 / req/s, the generator was the bottleneck. */
  clientCpuMicrosPerRequest: number;
  peakRssMb: number;
  requests: number;
  non2xx: number;
  errors: number;
  ratios: Record<string, number>;
}

function pinning(): { server: string; generator: string } {
  const count = cpus().length;
  if (count < 2) throw new Error('--pin needs at least 2 CPUs');
  const generator = String(count - 1);
  const server = count === 2 ? '0' : `0-${count - 2}`;
  execFileSync('taskset', ['-a', '-p', '-c', generator, String(process.pid)], { stdio: 'ignore' });
  return { server, generator };
}

/** The process and every descendant, all threads, onto `cpuList`. */
function pinTree(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of children === '' ? [] : children.split(' ')) pinTree(Number(child), cpuList);
  }
}

function request(child: ChildProcess, message: { type: string }, reply?: string): Promise<any> {
  return new Promise((resolve) => {
    if (reply !== undefined) {
      child.on('message', function onMessage(m: any) {
        if (m.type === reply) {
          child.off('message', onMessage);
          resolve(m);
        }
      });
    }
    child.send(message);
    if (reply === undefined) resolve(undefined);
  });
}

/** A fresh database per started variant: a variant may run in several scenarios of one run. */
let startedVariants = 0;

async function startVariant(variant: VariantName, publicKey: string, dir: string): Promise<{ child: ChildProcess; port: number; kid: string; secret?: string }> {
  // `signet serve` variants run the real command (and its workers) under a supervisor with the same IPC.
  const script = isServeVariant(variant) ? './serve-process.ts' : './server-process.ts';
  const child = fork(new URL(script, import.meta.url).pathname, [variant, publicKey, join(dir, `${variant}-${++startedVariants}.sqlite`), redisUrl], {
    // --cpu-prof DIR: write a V8 CPU profile of each server variant there (open in Chrome DevTools).
    execArgv: ['--import', 'tsx', ...(values['cpu-prof'] !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}/${variant}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<any>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  if (pin !== undefined) pinTree(child.pid!, pin.server);
  return { child, port: ready.port, kid: ready.kid, secret: ready.secret };
}

/** Variants whose clients send something other than a Signet Authorization header. */
const RFC9421_VARIANTS: ReadonlySet<VariantName> = new Set(['rfc9421-peer']);

/** Distinct signed credentials, one per request, as the headers to send. */
async function presign(variant: VariantName, count: number, port: number, kid: string, privateKey: CryptoKey, secret?: string): Promise<Record<string, string>[]> {
  const url = `http://127.0.0.1:${port}/v1/whoami`;
  const credentials: Record<string, string>[] = [];
  const batch = 256;
  const keyObject = KeyObject.from(privateKey);
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    if (RFC9421_VARIANTS.has(variant)) {
      credentials.push(...(await Promise.all(Array.from({ length: size }, () => signRfc9421(url, keyObject, newJti())))));
      continue;
    }
    const signed = await Promise.all(
      Array.from({ length: size }, () =>
        signRequest({
          method: 'GET',
          url,
          key: secret === undefined ? { type: 'ed25519', privateKey } : { type: 'hmac', secret: new TextEncoder().encode(secret) },
          kid,
          lifetimeSeconds: 300,
        }),
      ),
    );
    for (const s of signed) credentials.push({ authorization: s.authorization });
  }
  return credentials;
}

/**
 * Sends `amount` requests, one token each, and times them from the start to the last response:
 * autocannon resolves only on its next one-second tick, so its own end time rounds every run up
 * to whole seconds (a 0.3 s run of 9,700 requests would read as 9,700 req/s whatever the server).
 */
async function drive(port: number, tokens: Record<string, string>[], amount: number): Promise<{ result: autocannon.Result; seconds: number }> {
  let next = 0;
  const started = performance.now();
  let lastResponse = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        amount,
        requests: [
          {
            method: 'GET',
            path: '/v1/whoami',
            setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...tokens[next++ % tokens.length]! } }),
          },
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', () => {
      lastResponse = performance.now();
    });
  });
  return { result, seconds: (lastResponse - started) / 1000 };
}

/** Requests per second of a driven run, timed to its last response. */
async function rateOf(port: number, tokens: Record<string, string>[]): Promise<number> {
  const { result, seconds } = await drive(port, tokens, tokens.length);
  return result.requests.total / Math.max(seconds, 1e-3);
}

async function measure(variant: VariantName, publicKey: string, privateKey: CryptoKey, dir: string): Promise<Omit<Row, 'ratios'>> {
  const { child, port, kid, secret } = await startVariant(variant, publicKey, dir);
  try {
    // Warm-up: JIT and caches first, then about a second at the warm rate to size the token supply.
    const coldRate = await rateOf(port, await presign(variant, 3000, port, kid, privateKey, secret));
    const warmRate = await rateOf(port, await presign(variant, Math.ceil(Math.max(1000, coldRate)), port, kid, privateKey, secret));
    const amount = Math.ceil(Math.max(1000, warmRate) * durationSeconds * 1.1);
    const tokens = await presign(variant, amount, port, kid, privateKey, secret);
    await request(child, { type: 'mark' });
    const clientCpuAtStart = process.cpuUsage();
    const { result, seconds: elapsedSeconds } = await drive(port, tokens, amount);
    const clientCpu = process.cpuUsage(clientCpuAtStart);
    const stats = await request(child, { type: 'stats' }, 'stats');
    const completed = result.requests.total;
    return {
      variant,
      // autocannon's own duration is coarse; measure the window here.
      requestsPerSecond: Math.round(completed / elapsedSeconds),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      cpuMicrosPerRequest: Math.round(stats.cpuMicros / Math.max(1, completed)),
      clientCpuMicrosPerRequest: Math.round((clientCpu.user + clientCpu.system) / Math.max(1, completed)),
      peakRssMb: Math.round(stats.maxRssBytes / 1024 / 1024),
      requests: completed,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    await request(child, { type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function printTable(name: string, rows: Row[], baselines: VariantName[]): void {
  const header = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'client CPU µs/req', 'peak RSS MB', 'non-2xx', ...baselines.map((b) => `× ${b}`)];
  const lines = rows.map((r) => [
    r.variant,
    String(r.requestsPerSecond),
    String(r.p50Ms),
    String(r.p99Ms),
    String(r.cpuMicrosPerRequest),
    String(r.clientCpuMicrosPerRequest),
    String(r.peakRssMb),
    String(r.non2xx + r.errors),
    ...baselines.map((b) => r.ratios[b]!.toFixed(2)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(`\n### ${name}: ${SCENARIOS[name]!.description}\n`);
  console.log(fmt(header));
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |');
  for (const l of lines) console.log(fmt(l));
}

const pair = await generateKeyPair();
const publicKey = encodeBase64url(pair.publicKey);
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  settings: { connections, durationSeconds, quick, pinned: pin ?? null },
  scenarios: {},
};
try {
  for (const name of scenarios) {
    const scenario = SCENARIOS[name]!;
    const measured: Omit<Row, 'ratios'>[] = [];
    for (const variant of scenario.variants) {
      process.stderr.write(`${name}: measuring ${variant}...\n`);
      measured.push(await measure(variant, publicKey, pair.privateKey, dir));
    }
    const rows: Row[] = measured.map((m) => ({
      ...m,
      ratios: Object.fromEntries(
        scenario.baselines.map((b) => [b, m.requestsPerSecond / measured.find((x) => x.variant === b)!.requestsPerSecond]),
      ),
    }));
    (report.scenarios as Record<string, unknown>)[name] = rows;
    printTable(name, rows, scenario.baselines);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const outDir = new URL('./results/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
console.log(`\nJSON written to ${outFile}`);
