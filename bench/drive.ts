/** The load generator of `npm run bench`: autocannon, timed and measured here rather than by its own clock. */
import autocannon from 'autocannon';

export interface DriveOptions {
  port: number;
  connections: number;
  /** One set of headers per request (a distinct signed credential each), used in turn. */
  tokens: Record<string, string>[];
  amount: number;
}

export interface Driven {
  result: autocannon.Result;
  /** From the start to the last response. */
  seconds: number;
  /** Response times in ms at hrtime resolution, sorted (autocannon's histogram keeps whole ms). */
  latencies: Float64Array;
}

/**
 * Sends `amount` requests and times them from the start to the last response: autocannon resolves
 * only on its next one-second tick, so its own end time rounds every run up to whole seconds (a
 * 0.3 s run of 9,700 requests would read as 9,700 req/s whatever the server).
 */
export async function drive(options: DriveOptions): Promise<Driven> {
  const { tokens } = options;
  let next = 0;
  const latencies = new Float64Array(options.amount);
  let answered = 0;
  const started = performance.now();
  let lastResponse = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}`,
        connections: options.connections,
        amount: options.amount,
        requests: [
          {
            method: 'GET',
            path: '/v1/whoami',
            setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...tokens[next++ % tokens.length]! } }),
          },
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseMs: number) => {
      lastResponse = performance.now();
      if (answered < latencies.length) latencies[answered++] = responseMs;
    });
  });
  return { result, seconds: (lastResponse - started) / 1000, latencies: latencies.subarray(0, answered).sort() };
}

/** The p-th percentile (0-100) of sorted values, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
