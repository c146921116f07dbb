import { z } from 'zod';

/**
 * Rate-limit plans: named lists of windows, each allowing `limit` requests per window. Shared by
 * the configuration (which defines the plans) and the server (which enforces them and validates
 * per-consumer overrides), so both read the same syntax. docs/rate-limits.md describes it.
 */

/** A window's length: a fixed number of seconds (epoch-aligned) or a calendar month (UTC). */
export type WindowLength = { kind: 'fixed'; seconds: number } | { kind: 'month' };

export interface RateLimitWindow {
  /** The policy name clients see in the RateLimit headers and in a 429 body. */
  name: string;
  /** Requests allowed per window; 0 refuses every request. */
  limit: number;
  length: WindowLength;
}

export interface Plan {
  name: string;
  description: string;
  /** Empty: unlimited. */
  windows: readonly RateLimitWindow[];
}

/** One per-consumer override: replaces the plan's window of the same name, or adds one; a null limit removes it. */
export interface RateLimitOverride {
  name: string;
  limit: number | null;
  /** Window text as written ("1s", "15m", "month"). */
  window: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Longest fixed window: 366 days (use "month" for calendar months). */
const MAX_WINDOW_SECONDS = 366 * 86_400;
const MAX_LIMIT = 1e12;

/** "1s", "15m", "24h", "1d" or "month". Undefined when the text is none of these. */
export function parseWindowLength(text: string): WindowLength | undefined {
  if (text === 'month') return { kind: 'month' };
  const match = /^([1-9]\d{0,8})([smhd])$/.exec(text);
  if (match === null) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return seconds <= MAX_WINDOW_SECONDS ? { kind: 'fixed', seconds } : undefined;
}

export function formatWindowLength(length: WindowLength): string {
  if (length.kind === 'month') return 'month';
  for (const unit of ['d', 'h', 'm'] as const) {
    if (length.seconds % UNIT_SECONDS[unit]! === 0) return `${length.seconds / UNIT_SECONDS[unit]!}${unit}`;
  }
  return `${length.seconds}s`;
}

/** Names travel inside quoted structured-field strings and problem bodies: keep them plain. */
const PolicyName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'A name is 1 to 64 characters of A-Z a-z 0-9 _ . -');
const WindowText = z.string().refine((text) => parseWindowLength(text) !== undefined, 'A window is "month" or a number with s, m, h or d (at most 366 days), e.g. "1s", "15m", "1d".');
const Limit = z.number().int().min(0).max(MAX_LIMIT);

const unique = (windows: Array<{ name: string }>) => new Set(windows.map((w) => w.name)).size === windows.length;

const WindowSchema = z.strictObject({ name: PolicyName, limit: Limit, window: WindowText });
const PlanSchema = z.strictObject({
  description: z.string().max(500).optional(),
  windows: z.array(WindowSchema).max(8).refine(unique, 'Window names must not repeat within a plan.'),
});
const PlansSchema = z.record(PolicyName, PlanSchema);

const OverrideSchema = z.strictObject({ name: PolicyName, limit: Limit.nullable(), window: WindowText });
export const OverridesSchema = z.array(OverrideSchema).max(8).refine(unique, 'Override names must not repeat.');

function toWindow(input: { name: string; limit: number; window: string }): RateLimitWindow {
  return { name: input.name, limit: input.limit, length: parseWindowLength(input.window)! };
}

/**
 * The built-in plans (the seeds' examples). SIGNET_PLANS adds plans and may redefine these.
 * Consumers without a plan get SIGNET_DEFAULT_PLAN, `internal` unless configured.
 */
const BUILT_IN_PLANS: z.input<typeof PlansSchema> = {
  internal: { description: 'Internal applications: unlimited.', windows: [] },
  free: { description: '180 requests per 15 minutes.', windows: [{ name: 'per_15min', limit: 180, window: '15m' }] },
  standard: {
    description: '5 requests per second and 5000 per day.',
    windows: [
      { name: 'per_second', limit: 5, window: '1s' },
      { name: 'per_day', limit: 5000, window: '1d' },
    ],
  },
  metered: {
    description: '20 requests per second and 100,000 per calendar month (UTC).',
    windows: [
      { name: 'per_second', limit: 20, window: '1s' },
      { name: 'per_month', limit: 100_000, window: 'month' },
    ],
  },
};

/** Validated plans from JSON-like input, merged over the built-in ones. Throws zod's error. */
export function buildPlans(extra: unknown): Readonly<Record<string, Plan>> {
  const parsed = PlansSchema.parse({ ...BUILT_IN_PLANS, ...(extra as object) });
  const plans: Record<string, Plan> = {};
  for (const [name, plan] of Object.entries(parsed)) {
    plans[name] = Object.freeze({ name, description: plan.description ?? '', windows: Object.freeze(plan.windows.map(toWindow)) });
  }
  return Object.freeze(plans);
}

/** The plan's windows with the overrides applied: same name replaces, new name adds, null limit removes. */
export function applyOverrides(windows: readonly RateLimitWindow[], overrides: readonly RateLimitOverride[] | null): RateLimitWindow[] {
  if (overrides === null || overrides.length === 0) return [...windows];
  const byName = new Map(windows.map((w) => [w.name, w]));
  for (const override of overrides) {
    const length = parseWindowLength(override.window);
    if (override.limit === null) byName.delete(override.name);
    else if (length !== undefined) byName.set(override.name, { name: override.name, limit: override.limit, length });
  }
  return [...byName.values()];
}
