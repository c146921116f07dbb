/**
 * CPU per request of first lookups of cold keys against the same keys warm, in process: Signet's
 * full app as `signet serve` builds it (defaults: rate limits, usage, metrics, last use) on a SQLite
 * file of `--keys` keys (default 100,000, each with a consumer of its own), driven through Node's
 * own request and response objects on a socket that throws its bytes away (bench/in-process-request.ts).
 * No load generator and no loopback shares the process, so the difference between the two passes is
 * what a cold key costs the server in CPU, and it moves far less with the machine's load than
 * latency over HTTP does.
 *
 * `node --import tsx bench/cold-in-process.ts [--keys N] [--count N] [--rounds R] [--concurrency C] [--cpu-prof DIR]`
 * Each round sends COUNT requests signed by keys this process has never read (cold), then COUNT
 * more by the same keys with fresh tokens (warm), CONCURRENCY at a time, after a warm-up on other
 * keys; each pass ends with the usage and last-use writes it buffered. Prints the process's CPU time per request (user + system, thread pool included) of each
 * pass, the median round and the spread. `--cpu-prof DIR` writes V8 CPU profiles of the cold
 * passes and of the warm passes (DIR/cold.cpuprofile, DIR/warm.cpuprofile), sampled every 50 µs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/server/app.js';
import { silentLogger } from '../src/server/logger.js';
import { createStores } from '../src/store/factory.js';
import { driveInProcess, type RequestListener } from './in-process-request.js';
import { seedKeys } from './seed-keys.js';

const { values } = parseArgs({
  options: { keys: { type: 'string' }, count: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' }, 'cpu-prof': { type: 'string' } },
});
const keyCount = Number(values.keys ?? 100_000);
const count = Number(values.count ?? 2000);
const rounds = Number(values.rounds ?? 5);
const concurrency = Number(values.concurrency ?? 50);
const profileDir = values['cpu-prof'];
const WARM_UP = 1000;
const PORT = 3999;
const ORIGIN = `http://127.0.0.1:${PORT}`;

const drive = (callback: RequestListener, tokens: string[], flush: () => Promise<void>) => driveInProcess(callback, tokens, { concurrency, port: PORT, flush });

/** Records a CPU profile over the passes it is resumed for, paused in between. */
class PassProfile {
  private readonly session = new Session();
  private nodes = new Map<number, unknown>();
  private samples: number[] = [];
  private timeDeltas: number[] = [];

  async measure<T>(run: () => Promise<T>): Promise<T> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 50 });
    await this.session.post('Profiler.start');
    try {
      return await run();
    } finally {
      const { profile } = await this.session.post('Profiler.stop');
      this.session.disconnect();
      // Node ids are stable within a session only: each pass's profile is kept whole, samples appended.
      const offset = this.nodes.size === 0 ? 0 : Math.max(...this.nodes.keys());
      for (const node of profile.nodes) this.nodes.set(node.id + offset, { ...node, id: node.id + offset, children: node.children?.map((c) => c + offset) });
      this.samples.push(...(profile.samples ?? []).map((s) => s + offset));
      this.timeDeltas.push(...(profile.timeDeltas ?? []));
    }
  }

  write(file: string): void {
    writeFileSync(file, JSON.stringify({ nodes: [...this.nodes.values()], samples: this.samples, timeDeltas: this.timeDeltas, startTime: 0, endTime: 0 }));
  }
}

const pair = await generateKeyPair();
const sign = (kid: string) => signRequest({ method: 'GET', url: `${ORIGIN}/v1/whoami`, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, lifetimeSeconds: 300 });
const tokens = async (kids: string[]) => {
  const out: string[] = [];
  for (let i = 0; i < kids.length; i += 256) out.push(...(await Promise.all(kids.slice(i, i + 256).map(sign))).map((s) => s.authorization));
  return out;
};

const dir = mkdtempSync(join(tmpdir(), 'signet-cold-in-process-'));
try {
  const dbFile = join(dir, 'cold.sqlite');
  const sample = (await seedKeys(dbFile, keyCount, { sampleSize: Math.min(keyCount, WARM_UP + count * rounds), publicKey: pair.publicKey })).sort(() => Math.random() - 0.5);
  if (sample.length < WARM_UP + count * rounds) throw new Error(`only ${sample.length} sample keys for ${WARM_UP + count * rounds} requests: lower --count or --rounds`);
  const config = loadConfig({ db: dbFile, port: PORT, publicOrigin: ORIGIN, maxTokenLifetimeSeconds: 300, logLevel: 'silent', keyCacheTtlMs: 3_600_000 }, {});
  const stores = await createStores(config, systemClock);
  const { app, server, close } = createApp({ config, stores, clock: systemClock, logger: silentLogger() });
  const callback = app.callback();
  const flush = async () => {
    await server.usage.flush();
    await server.lastUsed.flush();
  };
  try {
    const warmUp = await drive(callback, await tokens(sample.slice(0, WARM_UP)), flush);
    await drive(callback, await tokens(sample.slice(0, WARM_UP)), flush);
    const coldProfile = profileDir === undefined ? undefined : new PassProfile();
    const warmProfile = profileDir === undefined ? undefined : new PassProfile();
    const cold: number[] = [];
    const warm: number[] = [];
    let failures = warmUp.failures;
    for (let round = 0; round < rounds; round++) {
      const kids = sample.slice(WARM_UP + round * count, WARM_UP + (round + 1) * count);
      const coldTokens = await tokens(kids);
      const warmTokens = await tokens(kids);
      const coldPass = await (coldProfile?.measure(() => drive(callback, coldTokens, flush)) ?? drive(callback, coldTokens, flush));
      const warmPass = await (warmProfile?.measure(() => drive(callback, warmTokens, flush)) ?? drive(callback, warmTokens, flush));
      cold.push(coldPass.cpuUs);
      warm.push(warmPass.cpuUs);
      failures += coldPass.failures + warmPass.failures;
    }
    if (profileDir !== undefined) {
      mkdirSync(profileDir, { recursive: true });
      coldProfile!.write(join(profileDir, 'cold.cpuprofile'));
      warmProfile!.write(join(profileDir, 'warm.cpuprofile'));
    }
    const median = (figures: number[]) => [...figures].sort((a, b) => a - b)[Math.floor(figures.length / 2)]!;
    const spread = (figures: number[]) => `${Math.min(...figures).toFixed(1)} to ${Math.max(...figures).toFixed(1)}`;
    console.log(`Node ${process.version}, ${keyCount} keys, ${count} requests a pass, ${rounds} rounds, ${concurrency} at a time, sync read ${config.sqliteSyncRead ? 'allowed' : 'off'}`);
    console.log(
      `cold: CPU ${median(cold).toFixed(1)} µs/req (rounds ${spread(cold)}); warm: ${median(warm).toFixed(1)} µs/req (${spread(warm)}); a cold key costs ${(median(cold) - median(warm)).toFixed(1)} µs more; ${failures} not 200`,
    );
    console.log(JSON.stringify({ node: process.version, keyCount, count, rounds, concurrency, cold, warm, failures }));
  } finally {
    await close();
    await stores.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
