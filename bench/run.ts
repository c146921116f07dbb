/**
 * `npm run bench [-- SCENARIO...] [--quick] [--pin] [--no-half-load] [--connections N] [--duration S] [--redis URL]`
 *
 * Starts each server variant in its own process on 127.0.0.1, drives GET /v1/whoami with
 * autocannon using distinct pre-signed tokens, and prints requests/s, p50, p99, server CPU per
 * request and peak RSS, with ratios against the baselines measured in the same run. Then drives
 * every variant again at half the slowest one's saturation rate and prints the p99 each adds over
 * the baselines. Writes the same figures as JSON to bench/results/. Never part of `npm test`.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyObject } from 'node:crypto';
import { drive, percentile } from './drive.js';
import { paced } from './paced.js';
import { newJti } from '../src/protocol/ids.js';
import { signRfc9421 } from './peers.js';
import { generateKeyPair } from '../src/client/keys.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { signRequest } from '../src/client/sign.js';
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
    variants: ['floor', 'jose-peer', 'rfc9421-peer', 'pipeline', 'pipeline-rfc9421'],
    baselines: ['floor', 'jose-peer', 'rfc9421-peer', 'pipeline'],
    description:
      'Signet full pipeline (JWS, and its RFC 9421 format: target at least 0.90 x pipeline) vs a hand-written jose middleware (key read from the database per request) and RFC 9421 signatures (http-message-signatures)',
  },
  threadpool: { variants: ['floor', 'floor-async'], baselines: ['floor'], description: 'crypto.verify on the main thread vs on the libuv thread pool' },
  workers: {
    variants: ['serve-memory', 'serve-redis', 'serve-workers-2'],
    baselines: ['serve-memory', 'serve-redis'],
    description: 'scale-out cost: `signet serve` on memory stores, on Redis, and `--workers 2` on Redis (needs Redis: --redis URL)',
  },
  redis: {
    variants: ['serve-memory', 'serve-redis'],
    baselines: ['serve-memory'],
    description: '`signet serve` on Redis stores against the same on memory stores (target: at least 0.95; needs Redis: --redis URL)',
  },
  pipeline: {
    variants: ['verifier', 'pipeline'],
    baselines: ['verifier'],
    description: 'per-request accounting cost: rate limits, usage recording, metrics and the failure gate against the verifier alone (target: at least 0.90)',
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
    'no-half-load': { type: 'boolean' },
  },
  allowPositionals: true,
});
const quick = values.quick === true;
const connections = Number(values.connections ?? 50);
const durationSeconds = Number(values.duration ?? (quick ? 3 : 10));
/** The Redis the `workers` scenario uses (each variant under a key prefix of its own, deleted after). */
const redisUrl = values.redis ?? 'redis://127.0.0.1:6379';
/** Seconds of the second pass, at half the slowest variant's saturation rate (--no-half-load skips it). */
const halfLoadSeconds = Math.max(3, Math.round(durationSeconds / 2));
const skipHalfLoad = values['no-half-load'] === true;
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
  /** Serve variants on Redis: redis-server's CPU and commands per request (all its clients: use a Redis of the run's own). */
  redisCpuMicrosPerRequest?: number;
  redisCommandsPerRequest?: number;
  /** The load generator's own CPU per request: near 1e6 / req/s, the generator was the bottleneck. */
  clientCpuMicrosPerRequest: number;
  peakRssMb: number;
  requests: number;
  non2xx: number;
  errors: number;
  ratios: Record<string, number>;
  halfLoad?: HalfLoad;
}

/** Latency at half the saturation rate of the scenario's slowest variant, the same rate for every variant. */
interface HalfLoad {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
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
  const profileDir = values['cpu-prof'] !== undefined ? `${values['cpu-prof']}/${variant}` : undefined;
  const child = fork(
    new URL(script, import.meta.url).pathname,
    [variant, publicKey, join(dir, `${variant}-${++startedVariants}.sqlite`), redisUrl, ...(profileDir !== undefined ? [profileDir] : [])],
    {
      // --cpu-prof DIR: write a V8 CPU profile of each server variant there (open in Chrome DevTools).
      execArgv: [
        // Pinned from its first instruction, so what it sizes from the CPUs it may use (the thread
        // pool choice, `--workers auto`) sees the pinned set.
        ...(pin !== undefined ? ['-c', pin.server, process.execPath] : []),
        '--import',
        'tsx',
        // (Serve variants: the profile is of `signet serve` itself, which serve-process.ts starts.)
        ...(profileDir !== undefined && !isServeVariant(variant) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
      ...(pin !== undefined ? { execPath: 'taskset' } : {}),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await new Promise<any>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  if (pin !== undefined) pinTree(child.pid!, pin.server);
  return { child, port: ready.port, kid: ready.kid, secret: ready.secret };
}

/** Variants whose clients send something other than a Signet Authorization header. */
const RFC9421_VARIANTS: ReadonlySet<VariantName> = new Set(['rfc9421-peer']);

/**
 * Variants that remember no nonce accept a credential twice: they get at most this many, used in
 * turn (the requests look the same), which spares signing a million tokens for bare Koa.
 */
const NO_REPLAY_CHECK: ReadonlySet<VariantName> = new Set(['bare', 'floor', 'floor-async', 'jose-peer', 'rfc9421-peer']);
const REUSED_TOKENS = 20_000;

/** Distinct signed credentials, one per request, as the headers to send. */
async function presign(variant: VariantName, wanted: number, port: number, kid: string, privateKey: CryptoKey, secret?: string): Promise<Record<string, string>[]> {
  const url = `http://127.0.0.1:${port}/v1/whoami`;
  const count = NO_REPLAY_CHECK.has(variant) ? Math.min(wanted, REUSED_TOKENS) : wanted;
  const credentials: Record<string, string>[] = [];
  const batch = 256;
  const keyObject = KeyObject.from(privateKey);
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    if (RFC9421_VARIANTS.has(variant)) {
      credentials.push(...(await Promise.all(Array.from({ length: size }, () => signRfc9421(url, keyObject, newJti())))));
      continue;
    }
    if (variant === 'pipeline-rfc9421') {
      const signed = await Promise.all(Array.from({ length: size }, () => signRequest({ method: 'GET', url, key: { type: 'ed25519', privateKey }, kid, lifetimeSeconds: 300 }, { format: 'rfc9421' })));
      for (const s of signed) credentials.push(s.headers);
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

/** Requests per second of a driven run, timed to its last response. */
async function rateOf(port: number, tokens: Record<string, string>[]): Promise<number> {
  const { result, seconds } = await drive({ port, connections, tokens, amount: tokens.length });
  return result.requests.total / Math.max(seconds, 1e-3);
}

interface Started {
  child: ChildProcess;
  port: number;
  kid: string;
  secret?: string;
}

/** Starts the variant, warms it up (JIT, caches) and returns its warm rate; stops it after `use`. */
async function withVariant<T>(variant: VariantName, keys: BenchKeys, dir: string, use: (started: Started, warmRate: number) => Promise<T>): Promise<T> {
  const started = await startVariant(variant, keys.publicKey, dir);
  const sign = (count: number) => presign(variant, count, started.port, started.kid, keys.privateKey, started.secret);
  try {
    // JIT and caches first, then about a second at the warm rate to size the token supply.
    const coldRate = await rateOf(started.port, await sign(3000));
    const warmRate = await rateOf(started.port, await sign(Math.ceil(Math.max(1000, coldRate))));
    return await use(started, warmRate);
  } finally {
    await request(started.child, { type: 'stop' });
    await new Promise((resolve) => started.child.once('exit', resolve));
  }
}

interface BenchKeys {
  publicKey: string;
  privateKey: CryptoKey;
}

/** The variant at saturation: as many requests as it answers, from `connections` connections. */
async function measure(variant: VariantName, keys: BenchKeys, dir: string): Promise<Omit<Row, 'ratios'>> {
  return withVariant(variant, keys, dir, async ({ child, port, kid, secret }, warmRate) => {
    const amount = Math.ceil(Math.max(1000, warmRate) * durationSeconds * 1.1);
    const tokens = await presign(variant, amount, port, kid, keys.privateKey, secret);
    await request(child, { type: 'mark' });
    const clientCpuAtStart = process.cpuUsage();
    const { result, seconds, latencies } = await drive({ port, connections, tokens, amount });
    const clientCpu = process.cpuUsage(clientCpuAtStart);
    const stats = await request(child, { type: 'stats' }, 'stats');
    const completed = result.requests.total;
    return {
      variant,
      requestsPerSecond: Math.round(completed / seconds),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cpuMicrosPerRequest: Math.round(stats.cpuMicros / Math.max(1, completed)),
      ...(stats.redis !== undefined
        ? {
            redisCpuMicrosPerRequest: Math.round(stats.redis.cpuMicros / Math.max(1, completed)),
            redisCommandsPerRequest: Math.round((stats.redis.commands / Math.max(1, completed)) * 100) / 100,
          }
        : {}),
      clientCpuMicrosPerRequest: Math.round((clientCpu.user + clientCpu.system) / Math.max(1, completed)),
      peakRssMb: Math.round(stats.maxRssBytes / 1024 / 1024),
      requests: completed,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  });
}

/** The variant at a fixed rate it can sustain: the latency it adds when it is not the bottleneck. */
async function measureAtRate(variant: VariantName, rate: number, keys: BenchKeys, dir: string): Promise<HalfLoad> {
  return withVariant(variant, keys, dir, async ({ port, kid, secret }) => {
    const amount = Math.ceil(rate * halfLoadSeconds);
    const tokens = await presign(variant, amount, port, kid, keys.privateKey, secret);
    const { latencies, non2xx, errors } = await paced({ port, connections, tokens, amount, rate });
    return { rate, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), non2xx: non2xx + errors };
  });
}

function printTable(name: string, rows: Row[], baselines: VariantName[]): void {
  const redis = rows.some((r) => r.redisCpuMicrosPerRequest !== undefined);
  const header = [
    'variant',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    ...(redis ? ['Redis CPU µs/req', 'Redis cmds/req'] : []),
    'client CPU µs/req',
    'peak RSS MB',
    'non-2xx',
    ...baselines.map((b) => `× ${b}`),
  ];
  const lines = rows.map((r) => [
    r.variant,
    String(r.requestsPerSecond),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.cpuMicrosPerRequest),
    ...(redis ? [String(r.redisCpuMicrosPerRequest ?? '-'), String(r.redisCommandsPerRequest ?? '-')] : []),
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

function printHalfLoadTable(rows: Row[], baselines: VariantName[]): void {
  const rate = rows[0]?.halfLoad?.rate;
  if (rate === undefined) return;
  const p99Of = (variant: VariantName) => rows.find((r) => r.variant === variant)!.halfLoad!.p99Ms;
  const header = ['variant', 'p50 ms', 'p99 ms', 'non-2xx', ...baselines.map((b) => `added p99 ms vs ${b}`)];
  const lines = rows.map((r) => [
    r.variant,
    r.halfLoad!.p50Ms.toFixed(2),
    r.halfLoad!.p99Ms.toFixed(2),
    String(r.halfLoad!.non2xx),
    ...baselines.map((b) => (r.halfLoad!.p99Ms - p99Of(b)).toFixed(2)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(`\nAt ${rate} req/s for every variant (half the saturation rate of the slowest):\n`);
  console.log(fmt(header));
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |');
  for (const l of lines) console.log(fmt(l));
}

const pair = await generateKeyPair();
const keys: BenchKeys = { publicKey: encodeBase64url(pair.publicKey), privateKey: pair.privateKey };
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, openssl: process.versions.openssl },
  settings: { connections, durationSeconds, quick, pinned: pin ?? null },
  scenarios: {},
};
// Figures differ between Node majors (V8, OpenSSL, llhttp): every run says which it measured.
console.log(`Node ${process.version} (OpenSSL ${process.versions.openssl}) on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`);
try {
  for (const name of scenarios) {
    const scenario = SCENARIOS[name]!;
    const measured: Omit<Row, 'ratios'>[] = [];
    for (const variant of scenario.variants) {
      process.stderr.write(`${name}: measuring ${variant}...\n`);
      measured.push(await measure(variant, keys, dir));
    }
    const halfRate = Math.max(1, Math.round(Math.min(...measured.map((m) => m.requestsPerSecond)) / 2));
    const halfLoads = new Map<VariantName, HalfLoad>();
    if (!skipHalfLoad) {
      for (const variant of new Set(scenario.variants)) {
        process.stderr.write(`${name}: ${variant} at ${halfRate} req/s...\n`);
        halfLoads.set(variant, await measureAtRate(variant, halfRate, keys, dir));
      }
    }
    const rows: Row[] = measured.map((m) => ({
      ...m,
      ...(halfLoads.has(m.variant) ? { halfLoad: halfLoads.get(m.variant)! } : {}),
      ratios: Object.fromEntries(scenario.baselines.map((b) => [b, m.requestsPerSecond / measured.find((x) => x.variant === b)!.requestsPerSecond])),
    }));
    (report.scenarios as Record<string, unknown>)[name] = rows;
    printTable(name, rows, scenario.baselines);
    printHalfLoadTable(rows, scenario.baselines);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const outDir = new URL('./results/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
console.log(`\nJSON written to ${outFile}`);
