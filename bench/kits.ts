/**
 * Signing rate of each client kit (Node, Python, Go) on one core: each runs pinned to CPU 0
 * (taskset, when present), signing a POST with a 1 KiB body, with an Ed25519 key and an HMAC key.
 * Reports requests per wall-clock second and per CPU-second (the machine may be shared and
 * loaded: the CPU figure is what one core the kit had to itself would do).
 *
 *   npm run bench:kits [-- SECONDS]      (default 3 s per measurement)
 *   node --import tsx bench/kits.ts node SECONDS   (the Node measurement alone, as a child runs it)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importPrivateKey } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import type { SigningKey } from '../src/client/signing-key.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KID = 'key_7Qx3mJtZ1pUe9LcWbR4sNa';
const URL_ = 'http://127.0.0.1:3000/v1/echo?lang=en';
const BODY = new TextEncoder().encode('{"hello":"world","n":12345}'.repeat(40));

interface Rate {
  per_second: number;
  per_cpu_second: number;
}

async function nodeRates(seconds: number): Promise<Record<string, Rate>> {
  const vectors = JSON.parse(readFileSync(`${ROOT}test/clients/vectors.json`, 'utf8')) as { keys: { k1: { private: { pem: string } } }; hmac_secrets: { secret: string }[] };
  const pair = await importPrivateKey(vectors.keys.k1.private.pem);
  const keys: Record<string, SigningKey> = {
    ed25519: { type: 'ed25519', privateKey: pair.privateKey },
    hmac: { type: 'hmac', secret: new TextEncoder().encode(vectors.hmac_secrets[0]!.secret) },
  };
  const out: Record<string, Rate> = {};
  for (const [name, key] of Object.entries(keys)) {
    const step = () => signRequest({ method: 'POST', url: URL_, body: BODY, key, kid: KID });
    for (let i = 0; i < 500; i++) await step();
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let count = 0;
    let elapsed = 0;
    while (elapsed < seconds) {
      for (let i = 0; i < 100; i++) await step();
      count += 100;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    const used = process.cpuUsage(cpu);
    out[`${name}_sign_request`] = { per_second: Math.round(count / elapsed), per_cpu_second: Math.round(count / ((used.user + used.system) / 1e6)) };
  }
  return out;
}

function pinned(command: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): string {
  const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const [file, argv] = hasTaskset ? ['taskset', ['-c', '0', command, ...args]] : [command, args];
  return execFileSync(file, argv, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
}

function goRates(seconds: number): Record<string, Rate> {
  const output = pinned(
    'go',
    ['test', '-run', '^$', '-bench', '.', '-benchtime', `${seconds}s`],
    { GOMAXPROCS: '1', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
    `${ROOT}clients/go`,
  );
  const out: Record<string, Rate> = {};
  for (const match of output.matchAll(/^Benchmark(\w+?)(Ed25519|HMAC)\s+\d+\s+([\d.]+) ns\/op\s+([\d.]+) req\/cpu-s/gm)) {
    const name = `${match[2]!.toLowerCase()}_${match[1] === 'Sign' ? 'sign_request' : 'transport'}`;
    out[name] = { per_second: Math.round(1e9 / Number(match[3])), per_cpu_second: Math.round(Number(match[4])) };
  }
  return out;
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'node') {
  console.log(JSON.stringify(await nodeRates(Number(arg ?? 3))));
} else {
  const seconds = Number(mode ?? 3);
  const results: Record<string, Record<string, Rate>> = {
    node: JSON.parse(pinned(process.execPath, ['--import', 'tsx', 'bench/kits.ts', 'node', String(seconds)])) as Record<string, Rate>,
    python: JSON.parse(pinned('/usr/bin/python3', ['bench/kit_sign.py', String(seconds)])) as Record<string, Rate>,
    go: goRates(seconds),
  };
  console.log('| kit | measurement | signed req/s (wall) | signed req/s per CPU-second |');
  console.log('| --- | --- | ---: | ---: |');
  for (const [kit, rates] of Object.entries(results)) {
    for (const [name, rate] of Object.entries(rates)) console.log(`| ${kit} | ${name} | ${rate.per_second.toLocaleString('en')} | ${rate.per_cpu_second.toLocaleString('en')} |`);
  }
  console.log(`load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
}
