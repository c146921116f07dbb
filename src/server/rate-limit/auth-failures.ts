import type { Clock } from '../../clock.js';
import type { RateLimitStore } from '../../store/types.js';
import { secondsUntil, windowAt } from './windows.js';

export interface AuthFailureState {
  blocked: boolean;
  limit: number;
  windowSeconds: number;
  resetSeconds: number;
}

/**
 * Authentication failures per client address, in fixed aligned windows. `check` is a counter read,
 * so an address that has failed too often is turned away before its token is parsed or its
 * signature checked; `fail` counts a 401 after the fact.
 */
export class AuthFailureLimiter {
  constructor(
    private readonly deps: { store: RateLimitStore; clock: Clock; limit: number; windowSeconds: number },
  ) {}

  get enabled(): boolean {
    return this.deps.limit > 0;
  }

  async check(address: string): Promise<AuthFailureState> {
    const now = this.deps.clock.now();
    const span = windowAt({ kind: 'fixed', seconds: this.deps.windowSeconds }, now);
    const failures = await this.deps.store.get(this.key(address, span.start));
    return { blocked: failures >= this.deps.limit, limit: this.deps.limit, windowSeconds: span.seconds, resetSeconds: secondsUntil(span.end, now) };
  }

  async fail(address: string): Promise<void> {
    const span = windowAt({ kind: 'fixed', seconds: this.deps.windowSeconds }, this.deps.clock.now());
    await this.deps.store.add(this.key(address, span.start), 1, span.end + 10_000);
  }

  private key(address: string, windowStart: number): string {
    return `address:${address}:${this.deps.windowSeconds}:${windowStart}`;
  }
}
