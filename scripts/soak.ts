/**
 * `npm run soak [-- --duration 5m] [--concurrency 16] [--sample 5s] [--json FILE]`
 *
 * Drives mixed traffic for a bounded time at a Signet server in its own process on 127.0.0.1:
 * valid Ed25519 and HMAC requests, invalid ones (garbage, tampered, unknown key, wrong binding,
 * and one address that trips the failure gate), replays of accepted tokens, and a consumer on a
 * 5-per-second plan sent far more. Every answer is checked against what its class allows; the
 * report gives unexpected answers (must be 0), the server's RSS over time (slope after warm-up)
 * and the replay store's size against the bound its time window implies. Exit code 1 when any
 * check fails. Never part of `npm test`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair, type Ed25519KeyPair } from '../src/client/keys.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { PROOF_HEADER } from '../src/protocol/format.js';
import { jwkThumbprint, publicKeyToJwk } from '../src/protocol/public-key.js';
import { signRequest } from '../src/client/sign.js';
import type { SigningKey } from '../src/client/signing-key.js';
import type { SoakSample } from './soak-server.js';

const ORIGIN = 'https://api.soak.test';
/** The server's defaults: token lifetime 60 s, clock skew 60 s; the memory replay store expires in 10 s buckets. */
const REPLAY_WINDOW_SECONDS = 60 + 60 + 1 + 10;

function parseSeconds(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (match === null) throw new Error(`${flag}: expected seconds or a number with s, m or h (e.g. 300, 30s, 5m), not "${text}"`);
  const unit = (match[2] ?? 's') as 's' | 'm' | 'h';
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[unit];
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5m' },
    concurrency: { type: 'string', default: '16' },
    sample: { type: 'string', default: '5s' },
    json: { type: 'string' },
  },
});
const durationSeconds = parseSeconds(values.duration!, '--duration');
const sampleSeconds = parseSeconds(values.sample!, '--sample');
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency: a positive integer');

type ClassName = 'valid-ed25519' | 'valid-hmac' | 'invalid' | 'replayed' | 'rate-limited';

/** What each class may be answered with; anything else (and every 5xx or network error) is unexpected. */
const ALLOWED: Record<ClassName, Array<[number, string]>> = {
  'valid-ed25519': [[200, '']],
  'valid-hmac': [[200, '']],
  invalid: [
    [401, 'invalid_token'],
    [401, 'binding_mismatch'],
    [429, 'rate_limited'],
  ],
  replayed: [
    [401, 'token_replayed'],
    [429, 'rate_limited'],
  ],
  'rate-limited': [
    [200, ''],
    [429, 'rate_limited'],
  ],
};
const WEIGHTS: Array<[ClassName, number]> = [
  ['valid-ed25519', 35],
  ['valid-hmac', 15],
  ['invalid', 20],
  ['replayed', 15],
  ['rate-limited', 15],
];

interface Credentials {
  ed: { kid: string; pair: Ed25519KeyPair };
  limited: { kid: string; pair: Ed25519KeyPair };
  hmac: { kid: string; secret: Uint8Array };
}

function startChild(dbFile: string, adminPublicKey: Uint8Array): Promise<{ child: ChildProcess; port: number; adminKid: string }> {
  const child = fork(new URL('./soak-server.ts', import.meta.url).pathname, [dbFile, encodeBase64url(adminPublicKey), ORIGIN], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string; port: number; adminKid: string }) => resolve({ child, port: m.port, adminKid: m.adminKid }));
    child.once('exit', (code) => reject(new Error(`the soak server exited with ${code} before it was ready`)));
  });
}

function askSample(child: ChildProcess): Promise<SoakSample> {
  return new Promise((resolve) => {
    child.once('message', (m: SoakSample) => resolve(m));
    child.send({ type: 'sample' });
  });
}

const encoder = new TextEncoder();

async function signedFetch(
  baseUrl: string,
  call: { method: string; path: string; key: SigningKey; kid: string; body?: Uint8Array; proof?: Ed25519KeyPair; from: string },
): Promise<{ response: Response; authorization: string }> {
  const signed = await signRequest({ method: call.method, url: ORIGIN + call.path, ...(call.body !== undefined ? { body: call.body } : {}), key: call.key, kid: call.kid });
  const headers: Record<string, string> = { Authorization: signed.authorization, 'X-Forwarded-For': call.from };
  if (call.body !== undefined) headers['Content-Type'] = 'application/json';
  if (call.proof !== undefined) {
    const proof = await signRequest({
      method: call.method,
      url: ORIGIN + call.path,
      ...(call.body !== undefined ? { body: call.body } : {}),
      key: { type: 'ed25519', privateKey: call.proof.privateKey },
      kid: await jwkThumbprint(call.proof.publicKey),
    });
    headers[PROOF_HEADER] = proof.token;
  }
  const response = await fetch(baseUrl + call.path, { method: call.method, headers, ...(call.body !== undefined ? { body: call.body as Uint8Array<ArrayBuffer> } : {}) });
  return { response, authorization: signed.authorization };
}

async function expectJson<T>(response: Response, status: number, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`setup: ${what} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Consumers made through the admin API, as an operator would: enrolled Ed25519 keys and an issued HMAC key. */
async function setUp(baseUrl: string, admin: { kid: string; pair: Ed25519KeyPair }): Promise<Credentials> {
  const asAdmin = (method: string, path: string, json: unknown) =>
    signedFetch(baseUrl, { method, path, key: { type: 'ed25519', privateKey: admin.pair.privateKey }, kid: admin.kid, body: encoder.encode(JSON.stringify(json)), from: '10.0.0.1' }).then(
      (r) => r.response,
    );
  async function enrolled(name: string, plan: string): Promise<{ kid: string; pair: Ed25519KeyPair }> {
    const consumer = await expectJson<{ id: string }>(await asAdmin('POST', '/admin/v1/consumers', { name, plan }), 201, `create ${name}`);
    const { code } = await expectJson<{ code: string }>(await asAdmin('POST', `/admin/v1/consumers/${consumer.id}/enrollment-codes`, {}), 201, 'enrollment code');
    const pair = await generateKeyPair();
    const body = encoder.encode(JSON.stringify({ code, public_key: publicKeyToJwk(pair.publicKey), label: 'soak' }));
    const proof = await signRequest({ method: 'POST', url: `${ORIGIN}/v1/enroll`, body, key: { type: 'ed25519', privateKey: pair.privateKey }, kid: await jwkThumbprint(pair.publicKey) });
    const response = await fetch(`${baseUrl}/v1/enroll`, { method: 'POST', headers: { [PROOF_HEADER]: proof.token, 'Content-Type': 'application/json', 'X-Forwarded-For': '10.0.0.1' }, body });
    const answer = await expectJson<{ key: { id: string } }>(response, 201, `enroll ${name}`);
    return { kid: answer.key.id, pair };
  }
  const ed = await enrolled('soak-ed25519', 'internal');
  const limited = await enrolled('soak-limited', 'standard');
  const hmacConsumer = await expectJson<{ id: string }>(await asAdmin('POST', '/admin/v1/consumers', { name: 'soak-hmac', allowed_modes: ['hmac'] }), 201, 'create soak-hmac');
  const issued = await expectJson<{ key: { id: string }; secret: string }>(await asAdmin('POST', `/admin/v1/consumers/${hmacConsumer.id}/keys/hmac`, {}), 201, 'issue HMAC key');
  return { ed, limited, hmac: { kid: issued.key.id, secret: encoder.encode(issued.secret) } };
}

interface Tally {
  byClass: Record<ClassName, Record<string, number>>;
  unexpected: Array<{ cls: ClassName; what: string }>;
  /** Requests whose token the server verified (and so recorded), per second since the start. */
  verifiedPerSecond: number[];
  total: number;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-soak-'));
  const adminPair = await generateKeyPair();
  const { child, port, adminKid } = await startChild(join(dir, 'signet.sqlite'), adminPair.publicKey);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const creds = await setUp(baseUrl, { kid: adminKid, pair: adminPair });
    const tally: Tally = { byClass: Object.fromEntries(WEIGHTS.map(([c]) => [c, {}])) as Tally['byClass'], unexpected: [], verifiedPerSecond: [], total: 0 };
    // Setup tokens (admin calls, enrollment proofs) are in the store too, until their window ends.
    const setupEntries = (await askSample(child)).replayEntries;
    const started = Date.now();
    const deadline = started + durationSeconds * 1000;
    /** Recently accepted Authorization values, replayed by the 'replayed' class. */
    const accepted: string[] = [];
    let sequence = 0;
    const weightTotal = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
    const pick = (n: number): ClassName => {
      let r = (n * 7919) % weightTotal;
      for (const [cls, w] of WEIGHTS) {
        if (r < w) return cls;
        r -= w;
      }
      return 'valid-ed25519';
    };

    async function one(n: number): Promise<void> {
      const cls = pick(n);
      const body = n % 2 === 0 ? undefined : encoder.encode(JSON.stringify({ n, pad: 'x'.repeat(n % 512) }));
      const method = body === undefined ? 'GET' : 'POST';
      const path = body === undefined ? '/v1/whoami' : '/v1/echo';
      let response: Response;
      let authorization: string | undefined;
      if (cls === 'valid-ed25519' || cls === 'rate-limited') {
        const who = cls === 'valid-ed25519' ? creds.ed : creds.limited;
        ({ response, authorization } = await signedFetch(baseUrl, {
          method,
          path,
          key: { type: 'ed25519', privateKey: who.pair.privateKey },
          kid: who.kid,
          ...(body !== undefined ? { body } : {}),
          from: cls === 'valid-ed25519' ? '10.1.0.1' : '10.2.0.1',
        }));
      } else if (cls === 'valid-hmac') {
        ({ response } = await signedFetch(baseUrl, { method, path, key: { type: 'hmac', secret: creds.hmac.secret }, kid: creds.hmac.kid, ...(body !== undefined ? { body } : {}), from: '10.1.0.2' }));
      } else if (cls === 'replayed') {
        const old = accepted[n % Math.max(1, accepted.length)];
        if (old === undefined) return;
        response = await fetch(baseUrl + '/v1/whoami', { headers: { Authorization: old, 'X-Forwarded-For': `10.3.${(n >> 8) & 255}.${n & 255}` } });
      } else {
        // One in ten invalid requests comes from a single address, which the failure gate turns away.
        const from = n % 10 === 0 ? '10.9.9.9' : `10.4.${(n >> 8) & 15}.${n & 255}`;
        const signed = await signRequest({ method: 'GET', url: `${ORIGIN}/v1/whoami`, key: { type: 'ed25519', privateKey: creds.ed.pair.privateKey }, kid: creds.ed.kid });
        const [h, p, s] = signed.token.split('.') as [string, string, string];
        const variants = [
          `Signet ${'A'.repeat(n % 300)}`,
          `Signet ${h}.${p}.${s.slice(0, 20)}${s[20] === 'A' ? 'B' : 'A'}${s.slice(21)}`,
          `Signet ${h.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'))}.${p}.${s}`,
          'Bearer not-a-signet-token',
        ];
        const wrongPath = n % 5 === 4;
        response = await fetch(baseUrl + (wrongPath ? '/v1/whoami?tampered=1' : '/v1/whoami'), {
          headers: { Authorization: wrongPath ? signed.authorization : variants[n % variants.length]!, 'X-Forwarded-For': from },
        });
      }
      const text = await response.text();
      let code = '';
      if (response.status >= 400) {
        try {
          code = (JSON.parse(text) as { code?: string }).code ?? '';
        } catch {
          code = 'not-json';
        }
      }
      const key = `${response.status}${code === '' ? '' : ' ' + code}`;
      tally.byClass[cls][key] = (tally.byClass[cls][key] ?? 0) + 1;
      tally.total++;
      if (!ALLOWED[cls].some(([status, c]) => status === response.status && c === code)) tally.unexpected.push({ cls, what: `${key}: ${text.slice(0, 200)}` });
      const verified = response.status === 200 || (cls === 'rate-limited' && response.status === 429);
      if (verified) {
        const second = Math.floor((Date.now() - started) / 1000);
        tally.verifiedPerSecond[second] = (tally.verifiedPerSecond[second] ?? 0) + 1;
      }
      if (cls === 'valid-ed25519' && response.status === 200 && authorization !== undefined && method === 'GET') {
        accepted.push(authorization);
        if (accepted.length > 1000) accepted.shift();
      }
    }

    async function worker(): Promise<void> {
      while (Date.now() < deadline) {
        const n = sequence++;
        try {
          await one(n);
        } catch (error) {
          tally.unexpected.push({ cls: pick(n), what: `network or client error: ${(error as Error).message}` });
        }
      }
    }

    const samples: Array<SoakSample & { atSeconds: number; requests: number }> = [];
    const sampler = setInterval(() => {
      void askSample(child).then((s) => samples.push({ ...s, atSeconds: (Date.now() - started) / 1000, requests: tally.total }));
    }, sampleSeconds * 1000);
    console.error(`soak: ${durationSeconds} s, ${concurrency} connections, against ${baseUrl} (server pid ${child.pid})`);
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    clearInterval(sampler);
    samples.push({ ...(await askSample(child)), atSeconds: (Date.now() - started) / 1000, requests: tally.total });

    const report = analyse(tally, samples, setupEntries);
    console.log(render(report));
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    return report.pass ? 0 : 1;
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const MB = 1024 * 1024;

function analyse(tally: Tally, samples: Array<SoakSample & { atSeconds: number; requests: number }>, setupEntries: number) {
  const warmUpSeconds = Math.min(REPLAY_WINDOW_SECONDS, durationSeconds / 2);
  const steady = samples.filter((s) => s.atSeconds >= warmUpSeconds);
  const rssSlopeMbPerMinute = slope(steady.map((s) => [s.atSeconds / 60, s.rssBytes / MB]));
  const heapSlopeMbPerMinute = slope(steady.map((s) => [s.atSeconds / 60, s.heapUsedBytes / MB]));
  const rssGrowthMb = steady.length === 0 ? 0 : (Math.max(...steady.map((s) => s.rssBytes)) - steady[0]!.rssBytes) / MB;
  // Entries the store may hold at a sample: the tokens verified in the trailing window (plus one
  // sampling period of slack, and the setup's tokens while they can still be live).
  const replayChecks = samples.map((s) => {
    const end = Math.floor(s.atSeconds);
    let bound = s.atSeconds <= REPLAY_WINDOW_SECONDS + sampleSeconds ? setupEntries : 0;
    for (let second = Math.max(0, end - REPLAY_WINDOW_SECONDS - sampleSeconds); second <= end; second++) bound += tally.verifiedPerSecond[second] ?? 0;
    return { atSeconds: s.atSeconds, entries: s.replayEntries, bound };
  });
  const replayWithinBound = replayChecks.every((c) => c.entries <= c.bound);
  // Bounded memory: after warm-up RSS grows less than 1 MB per minute, or less than 16 MB in all.
  const rssBounded = rssSlopeMbPerMinute < 1 || rssGrowthMb < 16;
  const elapsed = samples.at(-1)?.atSeconds ?? durationSeconds;
  return {
    durationSeconds,
    concurrency,
    requests: tally.total,
    requestsPerSecond: Math.round(tally.total / elapsed),
    byClass: tally.byClass,
    unexpected: tally.unexpected.length,
    unexpectedExamples: tally.unexpected.slice(0, 10),
    warmUpSeconds,
    rss: {
      firstMb: +((samples[0]?.rssBytes ?? 0) / MB).toFixed(1),
      afterWarmUpMb: +((steady[0]?.rssBytes ?? 0) / MB).toFixed(1),
      maxMb: +(Math.max(...samples.map((s) => s.rssBytes)) / MB).toFixed(1),
      lastMb: +((samples.at(-1)?.rssBytes ?? 0) / MB).toFixed(1),
      slopeAfterWarmUpMbPerMinute: +rssSlopeMbPerMinute.toFixed(2),
      heapSlopeAfterWarmUpMbPerMinute: +heapSlopeMbPerMinute.toFixed(2),
      growthAfterWarmUpMb: +rssGrowthMb.toFixed(1),
      bounded: rssBounded,
    },
    replay: {
      maxEntries: Math.max(...samples.map((s) => s.replayEntries)),
      lastEntries: samples.at(-1)?.replayEntries ?? 0,
      slopeAfterWarmUpEntriesPerMinute: Math.round(slope(steady.map((s) => [s.atSeconds / 60, s.replayEntries]))),
      windowSeconds: REPLAY_WINDOW_SECONDS,
      withinBound: replayWithinBound,
    },
    samples: samples.map((s) => ({
      at: Math.round(s.atSeconds),
      requests: s.requests,
      rssMb: +(s.rssBytes / MB).toFixed(1),
      heapMb: +(s.heapUsedBytes / MB).toFixed(1),
      replayEntries: s.replayEntries,
    })),
    pass: tally.unexpected.length === 0 && rssBounded && replayWithinBound,
  };
}

function render(r: ReturnType<typeof analyse>): string {
  const lines = [
    `Soak: ${r.durationSeconds} s, ${r.concurrency} connections, ${r.requests} requests (${r.requestsPerSecond}/s)`,
    '',
    '| class | answers |',
    '|---|---|',
    ...Object.entries(r.byClass).map(
      ([cls, answers]) =>
        `| ${cls} | ${Object.entries(answers)
          .sort()
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')} |`,
    ),
    '',
    `Unexpected answers (5xx, network errors, or a status/code the class does not allow): ${r.unexpected}`,
    ...r.unexpectedExamples.map((u) => `  ${u.cls}: ${u.what}`),
    `Server RSS: ${r.rss.firstMb} MB at the first sample, ${r.rss.afterWarmUpMb} MB after the ${r.warmUpSeconds} s warm-up, max ${r.rss.maxMb} MB, last ${r.rss.lastMb} MB;` +
      ` slope after warm-up ${r.rss.slopeAfterWarmUpMbPerMinute} MB/min (heap ${r.rss.heapSlopeAfterWarmUpMbPerMinute} MB/min), growth ${r.rss.growthAfterWarmUpMb} MB: ${r.rss.bounded ? 'bounded' : 'NOT bounded'}`,
    `Replay store: max ${r.replay.maxEntries} entries, last ${r.replay.lastEntries}, slope after warm-up ${r.replay.slopeAfterWarmUpEntriesPerMinute}/min;` +
      ` ${r.replay.withinBound ? 'never above' : 'ABOVE'} the tokens verified in the trailing ${r.replay.windowSeconds} s`,
    '',
    '| t (s) | requests | RSS (MB) | heap (MB) | replay entries |',
    '|---:|---:|---:|---:|---:|',
    ...r.samples
      .filter((_, i, all) => all.length <= 24 || i % Math.ceil(all.length / 24) === 0 || i === all.length - 1)
      .map((s) => `| ${s.at} | ${s.requests} | ${s.rssMb} | ${s.heapMb} | ${s.replayEntries} |`),
    '',
    r.pass ? 'PASS' : 'FAIL',
  ];
  return lines.join('\n');
}

process.exitCode = await main();
