import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of one app, in a registry of its own (never prom-client's global one), so
 * several apps in one process (tests, embedders) keep separate counts. Labels are low-cardinality
 * on purpose: outcome codes, modes, plan and policy names; never consumer or key ids.
 */
export interface SignetMetrics {
  registry: Registry;
  /**
   * The text GET /metrics answers. One process: this registry's. Under `signet serve --workers`:
   * every worker's registry, gathered by the primary (each series carries a `worker` label).
   */
  exposition(): Promise<string>;
  /** Every response, by outcome (ok, or the problem's error code) and signing mode (none when unauthenticated). */
  requests: Counter<'outcome' | 'mode'>;
  /** Time spent in the verifier, successful or not. */
  verification: Histogram<'result'>;
  /** Reads of a key from the database on a key-cache miss, known or unknown id. */
  keyStoreReads: Histogram<'result'>;
  rateLimitRefusals: Counter<'plan' | 'policy'>;
  authFailureRefusals: Counter;
  usageDropped: Counter<'reason'>;
  /** Authenticated responses by request format (jws or rfc9421) and signing mode. */
  formats: Counter<'format' | 'mode'>;
  /**
   * Counts one response in `requests` (and, authenticated, in `formats`) without prom-client's
   * per-call label hashing: the counts are kept as plain numbers and added to the counters whenever
   * they are read (a scrape, or `get()`), so every reader still sees every response.
   */
  countResponse(outcome: string, mode: string, format: string | undefined): void;
}

/**
 * Increments of a counter with two labels, kept per label pair as a plain number and added to the
 * counter when it is read. A per-request `inc(labels)` hashes and validates the labels object each
 * time; a tally costs two Map lookups and an addition.
 */
class PairTally {
  private readonly byFirst = new Map<string, Map<string, { labels: Record<string, string>; pending: number }>>();

  constructor(private readonly names: readonly [string, string]) {}

  add(first: string, second: string): void {
    let bySecond = this.byFirst.get(first);
    if (bySecond === undefined) this.byFirst.set(first, (bySecond = new Map()));
    const entry = bySecond.get(second);
    if (entry !== undefined) entry.pending++;
    else bySecond.set(second, { labels: { [this.names[0]]: first, [this.names[1]]: second }, pending: 1 });
  }

  /** Adds what was counted since the last flush to `counter`. */
  flushInto(counter: { inc(labels: Record<string, string>, value: number): void }): void {
    for (const bySecond of this.byFirst.values()) {
      for (const entry of bySecond.values()) {
        if (entry.pending === 0) continue;
        counter.inc(entry.labels, entry.pending);
        entry.pending = 0;
      }
    }
  }
}

export interface MetricSources {
  replayStoreSize(): number;
  usageBuffered(): number;
}

/** Set in a `--workers` worker: its label, and how to reach every worker's figures. */
export interface WorkerMetrics {
  worker: string;
  /** Shares `registry` with the primary; answers every worker's metrics. */
  share(registry: Registry): () => Promise<string>;
}

export function createMetrics(sources: MetricSources, cluster?: WorkerMetrics): SignetMetrics {
  const registry = new Registry();
  // Per-worker series: Prometheus sums them (sum without (worker)); gauges such as the usage
  // buffer only make sense per process anyway.
  if (cluster !== undefined) registry.setDefaultLabels({ worker: cluster.worker });
  const gathered = cluster?.share(registry);
  const registers = [registry];
  new Gauge({
    name: 'signet_replay_store_entries',
    help: 'One-time tokens (jti) currently remembered.',
    registers,
    collect() {
      this.set(sources.replayStoreSize());
    },
  });
  new Gauge({
    name: 'signet_usage_buffer_records',
    help: 'Usage records waiting for the next flush.',
    registers,
    collect() {
      this.set(sources.usageBuffered());
    },
  });
  const responses = new PairTally(['outcome', 'mode']);
  const authenticated = new PairTally(['format', 'mode']);
  return {
    registry,
    exposition: gathered ?? (() => registry.metrics()),
    requests: new Counter({
      name: 'signet_requests_total',
      help: 'Responses by outcome (ok or the error code) and signing mode.',
      labelNames: ['outcome', 'mode'] as const,
      registers,
      collect() {
        responses.flushInto(this);
      },
    }),
    verification: new Histogram({
      name: 'signet_verification_seconds',
      help: 'Time spent verifying a signed request (parse, key, signature, claims, replay store).',
      labelNames: ['result'] as const,
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    keyStoreReads: new Histogram({
      name: 'signet_key_store_read_seconds',
      help: 'Time to read a key from the database on a key-cache miss, waiting for a connection included.',
      labelNames: ['result'] as const,
      // 1 ms steps up to 5 ms: a first lookup's target is a p99 of 5 ms, which coarser buckets blur.
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    rateLimitRefusals: new Counter({ name: 'signet_rate_limit_refusals_total', help: 'Requests refused with 429 by a consumer rate limit.', labelNames: ['plan', 'policy'] as const, registers }),
    authFailureRefusals: new Counter({
      name: 'signet_auth_failure_refusals_total',
      help: 'Requests refused with 429 before verification because their address caused too many authentication failures.',
      registers,
    }),
    usageDropped: new Counter({ name: 'signet_usage_records_dropped_total', help: 'Usage records lost: buffer full, or the database write failed.', labelNames: ['reason'] as const, registers }),
    formats: new Counter({
      name: 'signet_authenticated_requests_total',
      help: 'Authenticated responses by request format (jws, rfc9421) and signing mode.',
      labelNames: ['format', 'mode'] as const,
      registers,
      collect() {
        authenticated.flushInto(this);
      },
    }),
    countResponse(outcome, mode, format) {
      responses.add(outcome, mode);
      if (format !== undefined) authenticated.add(format, mode);
    },
  };
}
