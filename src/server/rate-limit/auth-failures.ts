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
    return `address:${clientNetwork(address)}:${this.deps.windowSeconds}:${windowStart}`;
  }
}

/**
 * What one client is, for counting: an IPv4 address (also when it arrives IPv4-mapped), or the /64
 * network of an IPv6 address, since one host commonly holds a whole /64 and could otherwise spread
 * its failures over as many addresses as it likes.
 */
export function clientNetwork(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
