/**
 * Benchmark variants that run the real `signet serve` command, to price scale-out: one process on memory
 * stores, one process on Redis, and `--workers 2` on Redis. bench/serve-process.ts starts them.
 */
export const SERVE_VARIANTS = {
  'serve-memory': { workers: 1, redis: false },
  'serve-redis': { workers: 1, redis: true },
  'serve-workers-2': { workers: 2, redis: true },
} as const;

export type ServeVariantName = keyof typeof SERVE_VARIANTS;

export function isServeVariant(name: string): name is ServeVariantName {
  return Object.prototype.hasOwnProperty.call(SERVE_VARIANTS, name);
}
