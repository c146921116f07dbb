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
  return {
    registry,
    exposition: gathered ?? (() => registry.metrics()),
    requests: new Counter({ name: 'signet_requests_total', help: 'Responses by outcome (ok or the error code) and signing mode.', labelNames: ['outcome', 'mode'] as const, registers }),
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
    }),
  };
}
