/**
 * `node --import tsx bench/gateway.ts [--duration S] [--connections N] [--cpu-prof DIR] [--no-nginx] [--nginx-without-keepalive] [--gateway-pool-always] [--gateway-pool-never]`:
 * the gateway scenario of docs/performance.md.
 *
 * Each server runs in its own process (bench/gateway-server.ts, nginx from Debian): one upstream,
 * and in front of it a plain undici proxy (the baseline: forwarding only), `signet gateway`, and
 * nginx `auth_request` asking `signet forward-auth` (the configuration docs/gateway.md shows); then
 * `signet serve` answering GET /v1/whoami itself. Every signed request carries its own credential,
 * signed beforehand with one Ed25519 key known to every Signet process (or that process's HMAC key).
 *
 * For each variant: the most requests per second from `connections` connections, with the CPU time
 * per request of the process tree under test, of the upstream and of this load generator; then
 * p50/p99 of every proxy at the same steady rate, half the slowest proxy's maximum, the proxies
 * taking turns in three rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { newKeyId } from '../src/protocol/ids.js';
import { forwardAuthNginxConfig, hasAuthRequest, startNginx, type RunningNginx } from '../test/helpers/nginx.js';
import { drive, percentile } from './drive.js';
import { paced } from './paced.js';
import { childrenOf, cpuMicros, processTree } from './process-tree.js';

const BENCH_ORIGIN = 'http://bench.signet.test';
const PATH = '/v1/whoami';
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    'cpu-prof': { type: 'string' },
    'no-nginx': { type: 'boolean' },
    // A second nginx with the documented configuration less its upstream keepalive (how it read before).
    'nginx-without-keepalive': { type: 'boolean' },
    // A second gateway that verifies every Ed25519 signature on the thread pool (how it did before 'when-busy').
    'gateway-pool-always': { type: 'boolean' },
    // A second gateway that verifies every Ed25519 signature on its main thread (no 'when-busy' switching).
    'gateway-pool-never': { type: 'boolean' },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const children: ChildProcess[] = [];
const nginxes: RunningNginx[] = [];
const nginxPids: number[] = [];

interface Started {
  pid: number;
  port: number;
  hmacKid?: string;
  secret?: string;
}

async function start(variant: string, args: Record<string, string | boolean> = {}): Promise<Started> {
  const profile = values['cpu-prof'] !== undefined && variant !== 'upstream' ? ['--cpu-prof', `--cpu-prof-dir=${join(values['cpu-prof'], variant)}`] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...profile, new URL('./gateway-server.ts', import.meta.url).pathname, variant, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const ready = await new Promise<Omit<Started, 'pid'>>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
  });
  return { pid: child.pid!, ...ready };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

type Credential = { type: 'ed25519'; privateKey: CryptoKey; kid: string } | { type: 'hmac'; secret: string; kid: string } | undefined;

/** One Authorization header per request, signed before the load starts. */
async function presign(credential: Credential, count: number): Promise<Record<string, string>[]> {
  if (credential === undefined) return [{}];
  const key = credential.type === 'ed25519' ? credential : { type: 'hmac' as const, secret: new TextEncoder().encode(credential.secret) };
  const out: Record<string, string>[] = [];
  for (let i = 0; i < count; i += 256) {
    const batch = await Promise.all(Array.from({ length: Math.min(256, count - i) }, () => signRequest({ method: 'GET', url: BENCH_ORIGIN + PATH, key, kid: credential.kid, lifetimeSeconds: 300 })));
    for (const signed of batch) out.push({ authorization: signed.authorization });
  }
  return out;
}

interface Variant {
  name: string;
  port: number;
  /** The processes whose CPU time is this variant's cost (the upstream is counted apart). */
  pids: () => number[];
  credential: Credential;
  /** Whether it forwards to the upstream (and so runs at the half-load rate). */
  proxy: boolean;
}

interface Saturated {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  upstreamCpuPerRequest: number;
  clientCpuPerRequest: number;
  bad: number;
}

async function saturate(variant: Variant, upstreamPid: number): Promise<Saturated> {
  // Warm-up (JIT, key cache, pools), also sizing the measured run to about DURATION seconds.
  const warm = await drive({ port: variant.port, connections: CONNECTIONS, tokens: await presign(variant.credential, 3000), amount: 3000 });
  const amount = Math.max(3000, Math.round((warm.result.requests.total / warm.seconds) * DURATION));
  const tokens = await presign(variant.credential, amount);
  const pids = variant.pids();
  const serverAtStart = cpuMicros(pids);
  const upstreamAtStart = cpuMicros([upstreamPid]);
  const clientAtStart = process.cpuUsage();
  const { result, seconds, latencies } = await drive({ port: variant.port, connections: CONNECTIONS, tokens, amount });
  const client = process.cpuUsage(clientAtStart);
  const n = Math.max(1, result.requests.total);
  return {
    rps: n / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerRequest: (cpuMicros(pids) - serverAtStart) / n,
    upstreamCpuPerRequest: variant.proxy ? (cpuMicros([upstreamPid]) - upstreamAtStart) / n : 0,
    clientCpuPerRequest: (client.user + client.system) / n,
    bad: result.non2xx + result.errors,
  };
}

/** Rounds of the half-load pass: the variants take turns, so a change in the machine's load falls on all of them alike. */
const HALF_LOAD_ROUNDS = 3;

/** One turn of a variant at a steady rate: its latencies (ms, unsorted) and failures. */
async function atRate(variant: Variant, rate: number): Promise<{ latencies: Float64Array; bad: number }> {
  const amount = Math.max(300, Math.round((rate * Math.max(3, DURATION)) / HALF_LOAD_ROUNDS));
  const tokens = await presign(variant.credential, amount);
  const { latencies, non2xx, errors } = await paced({ port: variant.port, connections: CONNECTIONS, tokens, amount, rate });
  return { latencies, bad: non2xx + errors };
}

try {
  const pair = await generateKeyPair();
  const kid = newKeyId();
  const signer = { publicKey: encodeBase64url(pair.publicKey), kid };
  const upstream = await start('upstream');
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const plain = await start('plain-proxy', { upstream: upstreamUrl });
  const gateway = await start('gateway', { upstream: upstreamUrl, ...signer });
  const serve = await start('serve', signer);
  const ed25519 = { type: 'ed25519' as const, privateKey: pair.privateKey, kid };
  const hmacOf = (s: Started): Credential => ({ type: 'hmac', secret: s.secret!, kid: s.hmacKid! });
  const variants: Variant[] = [
    { name: 'plain undici proxy', port: plain.port, pids: () => processTree(plain.pid), credential: undefined, proxy: true },
    { name: 'Signet gateway, Ed25519', port: gateway.port, pids: () => processTree(gateway.pid), credential: ed25519, proxy: true },
    { name: 'Signet gateway, HMAC', port: gateway.port, pids: () => processTree(gateway.pid), credential: hmacOf(gateway), proxy: true },
  ];
  if (values['gateway-pool-always'] === true) {
    const pooled = await start('gateway', { upstream: upstreamUrl, ...signer, verifyOnThreadPool: true });
    variants.push({ name: 'Signet gateway, Ed25519, always on the thread pool', port: pooled.port, pids: () => processTree(pooled.pid), credential: ed25519, proxy: true });
  }
  if (values['gateway-pool-never'] === true) {
    const onMain = await start('gateway', { upstream: upstreamUrl, ...signer, verifyOnThreadPool: false });
    variants.push({ name: 'Signet gateway, Ed25519, never on the thread pool', port: onMain.port, pids: () => processTree(onMain.pid), credential: ed25519, proxy: true });
  }
  if (values['no-nginx'] !== true && hasAuthRequest()) {
    const forwardAuth = await start('forward-auth', signer);
    const documented = forwardAuthNginxConfig(`http://127.0.0.1:${forwardAuth.port}`, upstreamUrl);
    const configs = [{ name: 'nginx auth_request + Signet forward-auth, Ed25519', config: documented }];
    if (values['nginx-without-keepalive'] === true) {
      configs.push({ name: 'nginx auth_request + Signet forward-auth, Ed25519, no upstream keepalive', config: { ...documented, http: documented.http.replace(/^\s*keepalive \d+;\n/gm, '') } });
    }
    for (const { name, config } of configs) {
      // startNginx keeps its process to itself: it is the child of this process that neither start() nor an earlier startNginx spawned.
      const known = new Set([...children.map((c) => c.pid), ...nginxPids]);
      const running = await startNginx(await freePort(), config);
      nginxes.push(running);
      const nginxPid = childrenOf(process.pid).find((pid) => !known.has(pid))!;
      nginxPids.push(nginxPid);
      variants.push({ name, port: Number(new URL(running.url).port), pids: () => [...processTree(nginxPid), ...processTree(forwardAuth.pid)], credential: ed25519, proxy: true });
    }
  } else {
    process.stderr.write('nginx with auth_request not found (or --no-nginx): its variant is left out\n');
  }
  variants.push(
    { name: 'Signet serving /v1/whoami itself, Ed25519', port: serve.port, pids: () => processTree(serve.pid), credential: ed25519, proxy: false },
    { name: 'Signet serving /v1/whoami itself, HMAC', port: serve.port, pids: () => processTree(serve.pid), credential: hmacOf(serve), proxy: false },
  );

  const load = loadavg();
  const saturated = new Map<string, Saturated>();
  for (const variant of variants) {
    process.stderr.write(`gateway: saturating ${variant.name}...\n`);
    saturated.set(variant.name, await saturate(variant, upstream.pid));
  }
  // Half the saturation rate of the slowest proxy: a rate every proxy sustains in this run.
  const proxies = variants.filter((v) => v.proxy);
  const half = Math.max(50, Math.round(Math.min(...proxies.map((v) => saturated.get(v.name)!.rps)) / 2));
  const turns = new Map<string, { latencies: Float64Array[]; bad: number }>(proxies.map((v) => [v.name, { latencies: [], bad: 0 }]));
  for (let round = 1; round <= HALF_LOAD_ROUNDS; round += 1) {
    for (const variant of proxies) {
      process.stderr.write(`gateway: ${variant.name} at ${half} req/s, round ${round}...\n`);
      const turn = await atRate(variant, half);
      turns.get(variant.name)!.latencies.push(turn.latencies);
      turns.get(variant.name)!.bad += turn.bad;
    }
  }
  const halves = new Map<string, { p50: number; p99: number; bad: number }>();
  for (const [name, { latencies, bad }] of turns) {
    const all = new Float64Array(latencies.reduce((n, l) => n + l.length, 0));
    latencies.reduce((at, l) => (all.set(l, at), at + l.length), 0);
    all.sort();
    halves.set(name, { p50: percentile(all, 50), p99: percentile(all, 99), bad });
  }
  const loadAfter = loadavg();

  const f = (n: number, digits = 0) => n.toFixed(digits);
  const lines = [
    `Node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; load average ${f(load[0]!, 1)} before, ${f(loadAfter[0]!, 1)} after; ${CONNECTIONS} connections, about ${DURATION} s per variant`,
    '',
    `| variant | max req/s | p50 / p99 at max (ms) | CPU µs/req (under test) | upstream CPU µs/req | load generator CPU µs/req | p50 / p99 at ${half} req/s (ms) | non-2xx |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const variant of variants) {
    const s = saturated.get(variant.name)!;
    const h = halves.get(variant.name);
    lines.push(
      `| ${variant.name} | ${f(s.rps)} | ${f(s.p50, 2)} / ${f(s.p99, 2)} | ${f(s.cpuPerRequest)} | ${variant.proxy ? f(s.upstreamCpuPerRequest) : ''} | ${f(s.clientCpuPerRequest)} | ${h ? `${f(h.p50, 2)} / ${f(h.p99, 2)}` : ''} | ${s.bad + (h?.bad ?? 0)} |`,
    );
  }
  const gw = saturated.get('Signet gateway, Ed25519')!;
  const sv = saturated.get('Signet serving /v1/whoami itself, Ed25519')!;
  const gwHmac = saturated.get('Signet gateway, HMAC')!;
  const svHmac = saturated.get('Signet serving /v1/whoami itself, HMAC')!;
  const plainHalf = halves.get('plain undici proxy')!;
  lines.push(
    '',
    `gateway / serve, Ed25519: ${f(gw.rps / sv.rps, 2)}x req/s (target >= 0.85x); CPU per request ${f(gw.cpuPerRequest)} vs ${f(sv.cpuPerRequest)} µs (${f(sv.cpuPerRequest / gw.cpuPerRequest, 2)}x)`,
    `gateway / serve, HMAC: ${f(gwHmac.rps / svHmac.rps, 2)}x req/s; CPU per request ${f(gwHmac.cpuPerRequest)} vs ${f(svHmac.cpuPerRequest)} µs`,
  );
  for (const [name, h] of halves)
    if (name !== 'plain undici proxy') lines.push(`p99 added over the plain proxy at ${half} req/s, ${name}: ${f(h.p99 - plainHalf.p99, 2)} ms (target <= 2 ms for the gateway)`);
  console.log(lines.join('\n'));
  const outDir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    outFile,
    JSON.stringify({ load, loadAfter, connections: CONNECTIONS, duration: DURATION, half, saturated: Object.fromEntries(saturated), halves: Object.fromEntries(halves) }, null, 2) + '\n',
  );
  console.log(`\nJSON written to ${outFile}`);
} finally {
  await Promise.all(nginxes.map((running) => running.stop()));
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : (child.once('exit', resolve), child.kill('SIGTERM'))))));
}
