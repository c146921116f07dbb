import type { Clock } from '../../clock.js';
import { applyOverrides, type Plan, type RateLimitWindow } from '../../plans.js';
import type { ConsumerRecord, CounterIncrement, RateLimitStore } from '../../store/types.js';
import type { Logger } from '../logger.js';
import { secondsUntil, windowAt, type WindowSpan } from './windows.js';

/** What limits a consumer: its plan (or the default one) with its overrides applied. */
export interface EffectiveLimits {
  /** The plan enforced: the consumer's, or the default plan when it has none or an unknown one. */
  plan: string;
  overridden: boolean;
  windows: readonly RateLimitWindow[];
}

/** One window as a response reports it. */
export interface WindowState {
  name: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window ends and its count starts again from zero. */
  resetSeconds: number;
  /** This window refused the request. */
  exhausted: boolean;
}

export interface RateDecision {
  limits: EffectiveLimits;
  windows: WindowState[];
  allowed: boolean;
  /** Refused: seconds until every exhausted window has reset. */
  retryAfterSeconds: number;
}

/** One request's windows at one moment: what it adds to, and where each window ends. */
export interface WindowCounting {
  limits: EffectiveLimits;
  now: number;
  spans: WindowSpan[];
  counters: CounterIncrement[];
}

/** Counters a store added 1 to for a request, with their new values: decide() finishes the admission. */
export interface WindowsCounted {
  counting: WindowCounting;
  counts: number[];
}

/** Counters outlive their window by this much, so a late request never finds one already freed. */
const EXPIRY_GRACE_MS = 10_000;

export interface RateLimiterDeps {
  plans: Readonly<Record<string, Plan>>;
  defaultPlan: string;
  store: RateLimitStore;
  clock: Clock;
  logger: Logger;
}

/**
 * Per-consumer rate limits over fixed, aligned windows (windows.ts). A request takes one unit from
 * every window of the consumer's plan; if any window is then over its limit the request is refused
 * and the unit is given back to every window, so refused requests do not eat the quota. All keys
 * of a consumer share its limits.
 */
export class RateLimiter {
  private readonly cache = new WeakMap<ConsumerRecord, EffectiveLimits>();
  private readonly unknownPlansLogged = new Set<string>();

  constructor(private readonly deps: RateLimiterDeps) {}

  hasPlan(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.deps.plans, name);
  }

  get plans(): Readonly<Record<string, Plan>> {
    return this.deps.plans;
  }

  get defaultPlan(): string {
    return this.deps.defaultPlan;
  }

  limitsFor(consumer: ConsumerRecord): EffectiveLimits {
    const cached = this.cache.get(consumer);
    if (cached !== undefined) return cached;
    let plan = this.deps.plans[consumer.plan ?? this.deps.defaultPlan];
    if (plan === undefined) {
      // A plan removed from the configuration after it was assigned: keep serving, on the default plan.
      if (!this.unknownPlansLogged.has(consumer.plan!)) {
        this.unknownPlansLogged.add(consumer.plan!);
        this.deps.logger.warn({ plan: consumer.plan, default_plan: this.deps.defaultPlan }, 'consumer on an unknown rate-limit plan; applying the default plan');
      }
      plan = this.deps.plans[this.deps.defaultPlan]!;
    }
    const overrides = consumer.rateLimitOverrides;
    const limits: EffectiveLimits = Object.freeze({
      plan: plan.name,
      overridden: overrides !== null && overrides.length > 0,
      windows: Object.freeze(applyOverrides(plan.windows, overrides)),
    });
    this.cache.set(consumer, limits);
    return limits;
  }

  /** Takes one request from every window, or refuses it and takes nothing. */
  async admit(consumer: ConsumerRecord): Promise<RateDecision> {
    const counting = this.counting(consumer);
    if (counting.counters.length === 0) return this.decide(counting, []);
    const counts = await Promise.all(counting.counters.map((counter) => this.deps.store.add(counter.key, 1, counter.expiresAtMs)));
    return this.decide(counting, counts);
  }

  /**
   * The counters one request of `consumer` adds 1 to, now: for a store that adds them in the same
   * call as another step (FreshTokenCounter), after which decide() takes their new values.
   */
  counting(consumer: ConsumerRecord): WindowCounting {
    const limits = this.limitsFor(consumer);
    const now = this.deps.clock.now();
    const spans = limits.windows.map((w) => windowAt(w.length, now));
    const counters = limits.windows.map((w, i) => ({ key: counterKey(consumer.id, w, spans[i]!), expiresAtMs: spans[i]!.end + EXPIRY_GRACE_MS }));
    return { limits, now, spans, counters };
  }

  /** The decision on counters already added to (`counts`, in the order of counting.counters); a refusal gives every unit back. */
  decide(counting: WindowCounting, counts: readonly number[]): RateDecision | Promise<RateDecision> {
    const { limits, counters } = counting;
    if (limits.windows.length === 0) return { limits, windows: [], allowed: true, retryAfterSeconds: 0 };
    const allowed = counts.every((count, i) => count <= limits.windows[i]!.limit);
    // Only a refusal writes (it gives every unit back); an admitted request's decision is made
    // without a promise, so the admission step costs no microtask hop.
    if (allowed) return this.decision(counting, counts, true);
    return Promise.all(counters.map((counter) => this.deps.store.add(counter.key, -1, counter.expiresAtMs))).then(() => this.decision(counting, counts, false));
  }

  private decision({ limits, now, spans }: WindowCounting, counts: readonly number[], allowed: boolean): RateDecision {
    const windows = limits.windows.map((w, i) => {
      const exhausted = counts[i]! > w.limit;
      const used = allowed ? counts[i]! : counts[i]! - 1;
      return state(w, spans[i]!, exhausted ? w.limit : used, now, exhausted);
    });
    const retryAfterSeconds = allowed ? 0 : Math.max(...windows.filter((w) => w.exhausted).map((w) => w.resetSeconds));
    return { limits, windows, allowed, retryAfterSeconds };
  }

  /** The windows as they stand, without taking anything (GET /v1/usage). */
  async peek(consumer: ConsumerRecord): Promise<{ limits: EffectiveLimits; windows: WindowState[] }> {
    const limits = this.limitsFor(consumer);
    const now = this.deps.clock.now();
    const windows = await Promise.all(
      limits.windows.map(async (w) => {
        const span = windowAt(w.length, now);
        return state(w, span, await this.deps.store.get(counterKey(consumer.id, w, span)), now, false);
      }),
    );
    return { limits, windows };
  }
}

function counterKey(consumerId: string, window: RateLimitWindow, span: WindowSpan): string {
  return `consumer:${consumerId}:${window.name}:${span.seconds}:${span.start}`;
}

function state(window: RateLimitWindow, span: WindowSpan, used: number, now: number, exhausted: boolean): WindowState {
  return {
    name: window.name,
    limit: window.limit,
    windowSeconds: span.seconds,
    remaining: Math.max(0, window.limit - used),
    resetSeconds: secondsUntil(span.end, now),
    exhausted,
  };
}
