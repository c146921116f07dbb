/**
 * `node --import tsx bench/gateway.ts [--requests N]`: the gateway scenario of docs/performance.md.
 * Each server runs in its own process (bench/gateway-server.ts); tokens are signed beforehand, one
 * per request. Measures the most requests per second with 32 connections, then p99 latency at half
 * the gateway's maximum rate, for: a plain undici proxy, the Signet gateway (Ed25519), and Signet
 * serving GET /v1/whoami itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { signRequest } from '../src/client/sign.js';
import { percentile } from './drive.js';

const BENCH_ORIGIN = 'http://bench.signet.test';
const { values } = parseArgs({ options: { requests: { type: 'string', default: '20000' } } });
const REQUESTS = Number(values.requests);
const children: ChildProcess[] = [];

async function start(variant: string, upstream?: string): Promise<{ port: number; kid?: string; jwk?: JsonWebKey }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./gateway-server.ts', import.meta.url).pathname, variant, ...(upstream ? [upstream] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()))));
}

async function tokens(server: { kid?: string; jwk?: JsonWebKey }, path: string, count: number): Promise<Record<string, string>[]> {
  if (server.kid === undefined) return [{}];
  const privateKey = await globalThis.crypto.subtle.importKey('jwk', server.jwk!, { name: 'Ed25519' }, false, ['sign']);
  const out: Record<string, string>[] = [];
  for (let i = 0; i < count; i += 1) {
    const signed = await signRequest({ method: 'GET', url: BENCH_ORIGIN + path, key: { type: 'ed25519', privateKey }, kid: server.kid });
    out.push({ authorization: signed.authorization });
  }
  return out;
}

async function load(port: number, path: string, headers: Record<string, string>[], amount: number, rate?: number) {
  let next = 0;
  const latencies: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  let last = started;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: rate === undefined ? 32 : 16,
        amount,
        ...(rate !== undefined ? { overallRate: rate } : {}),
        requests: [{ method: 'GET', path, setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headers[next++ % headers.length]! } }) }],
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_c: unknown, status: number, _b: number, ms: number) => {
      last = performance.now();
      latencies.push(ms);
      if (status >= 300) non2xx += 1;
    });
  });
  const sorted = Float64Array.from(latencies).sort();
  return { rps: latencies.length / ((last - started) / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), non2xx };
}

try {
  const upstream = await start('upstream');
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const plain = await start('plain-proxy', upstreamUrl);
  const gateway = await start('gateway', upstreamUrl);
  const serve = await start('serve');
  const rows: string[] = [];
  const warm = Math.min(2000, REQUESTS);
  const gwTokens = await tokens(gateway, '/v1/whoami', REQUESTS * 2 + warm * 2);
  const serveTokens = await tokens(serve, '/v1/whoami', REQUESTS + warm);
  let g = 0;
  const gwSlice = (n: number) => gwTokens.slice(g, (g += n));
  await load(plain.port, '/v1/whoami', [{}], warm);
  const plainMax = await load(plain.port, '/v1/whoami', [{}], REQUESTS);
  await load(gateway.port, '/v1/whoami', gwSlice(warm), warm);
  const gatewayMax = await load(gateway.port, '/v1/whoami', gwSlice(REQUESTS), REQUESTS);
  await load(serve.port, '/v1/whoami', serveTokens.slice(0, warm), warm);
  const serveMax = await load(serve.port, '/v1/whoami', serveTokens.slice(warm), REQUESTS);
  const half = Math.max(50, Math.floor(gatewayMax.rps / 2));
  const halfAmount = Math.min(REQUESTS, half * 10);
  const plainHalf = await load(plain.port, '/v1/whoami', [{}], halfAmount, half);
  const gatewayHalf = await load(gateway.port, '/v1/whoami', gwSlice(halfAmount), halfAmount, half);
  rows.push('| variant | max req/s (32 conn.) | p99 at max (ms) | p50 / p99 at ' + half + ' req/s (ms) | non-2xx |', '| --- | --- | --- | --- | --- |');
  rows.push(`| plain undici proxy | ${plainMax.rps.toFixed(0)} | ${plainMax.p99.toFixed(2)} | ${plainHalf.p50.toFixed(2)} / ${plainHalf.p99.toFixed(2)} | ${plainMax.non2xx + plainHalf.non2xx} |`);
  rows.push(
    `| Signet gateway, Ed25519 | ${gatewayMax.rps.toFixed(0)} | ${gatewayMax.p99.toFixed(2)} | ${gatewayHalf.p50.toFixed(2)} / ${gatewayHalf.p99.toFixed(2)} | ${gatewayMax.non2xx + gatewayHalf.non2xx} |`,
  );
  rows.push(`| Signet serving /v1/whoami itself, Ed25519 | ${serveMax.rps.toFixed(0)} | ${serveMax.p99.toFixed(2)} | | ${serveMax.non2xx} |`);
  console.log(rows.join('\n'));
  console.log(`\ngateway / serve throughput: ${(gatewayMax.rps / serveMax.rps).toFixed(2)}x (target >= 0.85x)`);
  console.log(`gateway p99 added over the plain proxy at ${half} req/s: ${(gatewayHalf.p99 - plainHalf.p99).toFixed(2)} ms (target <= 2 ms)`);
} finally {
  for (const child of children) child.kill('SIGTERM');
}
