/**
 * An open-loop load at a steady rate, for the latency a variant adds when it is not the
 * bottleneck. autocannon's own rate limit lets each connection send its whole per-second budget
 * at the start of every second, so its "fixed rate" is a burst a second; here requests leave at
 * evenly spaced times (checked every millisecond) over a keep-alive pool of `connections`.
 */
import { Agent, request } from 'node:http';

export interface PacedOptions {
  port: number;
  connections: number;
  tokens: Record<string, string>[];
  /** Requests per second. */
  rate: number;
  amount: number;
}

export interface Paced {
  /** Response times in ms of the 2xx answers, sorted. */
  latencies: Float64Array;
  non2xx: number;
  errors: number;
}

export async function paced(options: PacedOptions): Promise<Paced> {
  const { tokens, amount, rate } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies = new Float64Array(amount);
  let ok = 0;
  let settled = 0;
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const settle = () => {
      if (++settled === amount) resolve();
    };
    const send = (index: number) => {
      const sentAt = performance.now();
      const req = request({ host: '127.0.0.1', port: options.port, path: '/v1/whoami', method: 'GET', agent, headers: tokens[index % tokens.length] }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode < 300) latencies[ok++] = performance.now() - sentAt;
          else non2xx++;
          settle();
        });
      });
      req.on('error', () => {
        errors++;
        settle();
      });
      req.end();
    };
    const tick = () => {
      const due = Math.min(amount, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (sent < due) send(sent++);
      if (sent < amount) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  return { latencies: latencies.subarray(0, ok).sort(), non2xx, errors };
}
