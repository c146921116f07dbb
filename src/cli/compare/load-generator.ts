/**
 * The load generator of `signet compare`, run as a child process (load-client.ts starts it) so
 * that the parent's CPU time measures the server alone. It only sends the pre-signed requests it
 * is given: signing is measured separately, on the client side.
 *
 * Protocol over the IPC channel: the child says `ready`; the parent sends the job; the child says
 * `loaded`; the parent starts its CPU clock and says `go`; the child sends the results in `done`
 * and exits.
 */
import { Agent, request } from 'node:http';

export interface LoadRequest {
  method: string;
  path: string;
  authorization: string;
}

interface LoadJob {
  type: 'job';
  url: string;
  requests: LoadRequest[];
  concurrency: number;
  durationMs: number;
}

export type ToGenerator = LoadJob | { type: 'go' };

export type FromGenerator =
  | { type: 'ready' }
  | { type: 'loaded' }
  | {
      type: 'done';
      elapsedMs: number;
      statuses: Record<string, number>;
      /** Milliseconds per request, in completion order. */
      latencies: number[];
    };

function send(message: FromGenerator, then: () => void = () => {}): void {
  process.send!(message, then);
}

/** Sends the job's requests over `concurrency` keep-alive connections until they run out or the time is up. */
async function run(job: LoadJob): Promise<Extract<FromGenerator, { type: 'done' }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const target = new URL(job.url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(job.durationMs) * 1_000_000n;
  const one = (r: LoadRequest): Promise<void> => {
    const t0 = process.hrtime.bigint();
    return new Promise((resolve) => {
      const req = request({ agent, host: target.hostname, port: target.port, method: r.method, path: r.path, headers: { authorization: r.authorization } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const status = String(res.statusCode);
          statuses[status] = (statuses[status] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', () => {
        statuses.error = (statuses.error ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  };
  const connection = async (): Promise<void> => {
    while (next < job.requests.length && process.hrtime.bigint() <= deadline) await one(job.requests[next++]!);
  };
  await Promise.all(Array.from({ length: job.concurrency }, connection));
  agent.destroy();
  return { type: 'done', elapsedMs: Number(process.hrtime.bigint() - start) / 1e6, statuses, latencies };
}

let job: LoadJob | undefined;
process.on('message', (message: ToGenerator) => {
  if (message.type === 'job') {
    job = message;
    send({ type: 'loaded' });
  } else if (message.type === 'go' && job !== undefined) {
    void run(job).then((done) => send(done, () => process.exit(0)));
  }
});
send({ type: 'ready' });
