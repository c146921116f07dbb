import { signRequest } from '../../client/sign.js';
import { systemClock } from '../../clock.js';
import type { SigningKey } from '../../client/signing-key.js';
import { createVerifier } from '../../server/verifier.js';
import { MemoryReplayStore } from '../../store/memory-replay-store.js';
import { COMPARE_ORIGIN, type CompareEnvironment } from './environment.js';
import { runLoad } from './load-client.js';

export interface BenchSettings {
  /** Operations per mode for the sign and verify measurements. */
  ops: number;
  /** End-to-end requests per mode (an upper bound; `durationMs` may stop earlier). */
  requests: number;
  concurrency: number;
  durationMs: number;
}

export interface ModePerformance {
  sign_ops_per_s: number;
  verify_ops_per_s: number;
  token_bytes: number;
  authorization_header_bytes: number;
  requests: number;
  failed_requests: number;
  requests_per_s: number;
  latency_ms: { p50: number; p99: number };
  server_cpu_us_per_request: number;
}

const PATH = '/v1/whoami';
/** Signing and verifying run this many operations at once, as a busy client or server would. */
const BATCH = 64;

async function inBatches<T>(count: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += BATCH) out.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => run(i + j)))));
  return out;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (value: number, digits = 0): number => Number(value.toFixed(digits));
const sign = (key: SigningKey, kid: string) => signRequest({ method: 'GET', url: COMPARE_ORIGIN + PATH, key, kid });

/**
 * Measures one mode: client signing, server verification (the verifier function itself, against
 * the server's warm key cache and a fresh replay store), token size, and end to end over HTTP from
 * a child process (requests per second, latency percentiles, server CPU time per request).
 */
export async function measureMode(env: CompareEnvironment, key: SigningKey, kid: string, settings: BenchSettings): Promise<ModePerformance> {
  const signing = await timed(() => inBatches(settings.ops, () => sign(key, kid)));
  const verify = createVerifier({
    config: env.server.signet.server.config,
    keys: env.server.signet.keyCache,
    replay: new MemoryReplayStore({ clock: systemClock, capacity: settings.ops + 1 }),
    clock: systemClock,
  });
  const tokens = signing.value.map((s) => s.authorization);
  const verifying = await timed(() => inBatches(tokens.length, (i) => verify({ method: 'GET', target: PATH, authorization: tokens[i], body: new Uint8Array(0) })));

  const requests = (await inBatches(settings.requests, () => sign(key, kid))).map((s) => ({ method: 'GET', path: PATH, authorization: s.authorization }));
  const load = await runLoad(env.url, requests, settings.concurrency, settings.durationMs);
  const done = load.latencies.length;
  const sorted = [...load.latencies].sort((a, b) => a - b);
  const ok = Object.entries(load.statuses)
    .filter(([status]) => status === '200')
    .reduce((n, [, count]) => n + count, 0);
  return {
    sign_ops_per_s: round((settings.ops / signing.ms) * 1000),
    verify_ops_per_s: round((verifying.value.length / verifying.ms) * 1000),
    token_bytes: signing.value[0]!.token.length,
    authorization_header_bytes: `Authorization: ${signing.value[0]!.authorization}`.length,
    requests: done,
    failed_requests: done - ok + (load.statuses.error ?? 0),
    requests_per_s: round((done / load.elapsedMs) * 1000),
    latency_ms: { p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2) },
    server_cpu_us_per_request: done === 0 ? 0 : round(load.serverCpuMicros / done),
  };
}

/** A short unmeasured run of both modes first, so neither is measured with a cold JIT. */
export async function warmUp(env: CompareEnvironment, keys: Array<[SigningKey, string]>): Promise<void> {
  for (const [key, kid] of keys) {
    const requests = (await inBatches(200, () => sign(key, kid))).map((s) => ({ method: 'GET', path: PATH, authorization: s.authorization }));
    await runLoad(env.url, requests, 8, 2_000);
  }
}
