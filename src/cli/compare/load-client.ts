import { spawn } from 'node:child_process';

/**
 * The load generator runs in a child process so that the server's process CPU time measures the
 * server alone. It is plain CommonJS run with `node -e` (no file to find, whether Signet runs from
 * sources, the package or a bundle) and it only sends pre-signed requests: signing is measured
 * separately, on the client side.
 */
const SOURCE = String.raw`
const http = require('node:http');
let job;
process.on('message', (message) => {
  if (message.type === 'job') { job = message; process.send({ type: 'loaded' }); return; }
  if (message.type !== 'go') return;
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const target = new URL(job.url);
  const latencies = [];
  const statuses = {};
  let next = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(job.durationMs) * 1000000n;
  const one = () => {
    if (next >= job.requests.length || process.hrtime.bigint() > deadline) return Promise.resolve();
    const r = job.requests[next++];
    const t0 = process.hrtime.bigint();
    return new Promise((resolve) => {
      const req = http.request({ agent, host: target.hostname, port: target.port, method: r.method, path: r.path, headers: { authorization: r.authorization } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
          resolve();
        });
      });
      req.on('error', () => { statuses.error = (statuses.error || 0) + 1; resolve(); });
      req.end();
    }).then(one);
  };
  Promise.all(Array.from({ length: job.concurrency }, one)).then(() => {
    const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    agent.destroy();
    process.send({ type: 'done', elapsedMs, statuses, latencies }, () => process.exit(0));
  });
});
process.send({ type: 'ready' });
`;

export interface LoadRequest {
  method: string;
  path: string;
  authorization: string;
}

export interface LoadResult {
  elapsedMs: number;
  statuses: Record<string, number>;
  /** Milliseconds per request, in completion order. */
  latencies: number[];
  /** This process's CPU time (user + system, microseconds) between "go" and "done": the server's. */
  serverCpuMicros: number;
}

interface ChildMessage {
  type: 'ready' | 'loaded' | 'done';
  elapsedMs?: number;
  statuses?: Record<string, number>;
  latencies?: number[];
}

/** Sends the requests from a child process with `concurrency` connections, for at most `durationMs`. */
export async function runLoad(url: string, requests: LoadRequest[], concurrency: number, durationMs: number): Promise<LoadResult> {
  const child = spawn(process.execPath, ['-e', SOURCE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise<LoadResult>((resolve, reject) => {
    let cpuStart: NodeJS.CpuUsage | undefined;
    child.on('error', reject);
    child.on('exit', (code) => {
      if (cpuStart === undefined || code !== 0) reject(new Error(`the load generator stopped early (exit code ${code})`));
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') child.send({ type: 'job', url, requests, concurrency, durationMs });
      else if (message.type === 'loaded') {
        cpuStart = process.cpuUsage();
        child.send({ type: 'go' });
      } else if (message.type === 'done') {
        const cpu = process.cpuUsage(cpuStart);
        resolve({ elapsedMs: message.elapsedMs!, statuses: message.statuses!, latencies: message.latencies!, serverCpuMicros: cpu.user + cpu.system });
      }
    });
  });
}
