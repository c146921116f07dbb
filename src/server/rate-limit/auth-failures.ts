import type { Clock } from '../../clock.js';
import type { RateLimitStore } from '../../store/types.js';
import { secondsUntil, windowAt } from './windows.js';

interface AuthFailureState {
  blocked: boolean;
  limit: number;
  windowSeconds: number;
  resetSeconds: number;
}

/** An admitted request's hold on one failure slot: kept if it ends in a 401, given back otherwise. */
export interface FailureSlot {
  state: AuthFailureState;
  /** Keeps the slot (the request failed authentication) or gives it back. Never throws. */
  settle(failed: boolean): Promise<void>;
}

/**
 * Authentication failures per client address, in fixed aligned windows. `admit` takes a slot
 * before the request is verified, in one atomic add, and the slot is given back unless the request
 * ends in a 401: a request still in flight counts as a failure until it has not failed. Reading the
 * counter and counting afterwards would let a concurrent burst through (every request of it reads
 * the same count before any of them is counted); with the slot taken first, at most `limit`
 * requests of an address can be in flight or failed in one window, whatever the concurrency.
 */
export class AuthFailureLimiter {
  constructor(private readonly deps: { store: RateLimitStore; clock: Clock; limit: number; windowSeconds: number }) {}

  get enabled(): boolean {
    return this.deps.limit > 0;
  }

  async admit(address: string): Promise<FailureSlot> {
    const now = this.deps.clock.now();
    const span = windowAt({ kind: 'fixed', seconds: this.deps.windowSeconds }, now);
    const key = this.key(address, span.start);
    const expiresAt = span.end + 10_000;
    const taken = await this.deps.store.add(key, 1, expiresAt);
    const blocked = taken > this.deps.limit;
    const state = { blocked, limit: this.deps.limit, windowSeconds: span.seconds, resetSeconds: secondsUntil(span.end, now) };
    let settled = blocked;
    // A refused request is not a failure: its slot goes back at once.
    if (blocked) await this.giveBack(key, expiresAt);
    return {
      state,
      settle: async (failed) => {
        if (settled) return;
        settled = true;
        if (!failed) await this.giveBack(key, expiresAt);
      },
    };
  }

  private async giveBack(key: string, expiresAt: number): Promise<void> {
    // The shared store may be unreachable; the slot then stays counted until the window ends,
    // which errs on the side of refusing.
    await this.deps.store.add(key, -1, expiresAt).catch(() => undefined);
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
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
