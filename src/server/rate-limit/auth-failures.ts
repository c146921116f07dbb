import type { Clock } from '../../clock.js';
import type { RateLimitStore } from '../../store/types.js';
import { secondsUntil, windowAt, type WindowSpan } from './windows.js';

interface AuthFailureState {
  blocked: boolean;
  limit: number;
  windowSeconds: number;
  resetSeconds: number;
}

/** An admitted request's hold on one failure slot: kept if it ends in a 401, given back otherwise. */
export interface FailureSlot {
  state: AuthFailureState;
  /** Keeps the slot (the request failed authentication) or gives it back. Never throws; returns a promise only when it writes. */
  settle(failed: boolean): Promise<void> | undefined;
}

/**
 * Authentication failures per client address, in fixed aligned windows. A request counts against
 * the limit from the moment it arrives until it has not failed: the address is turned away when
 * its failures plus its requests in flight (this one included) exceed the limit. Reading the
 * failures and counting afterwards would let a concurrent burst through (every request of it reads
 * the same count before any of them is counted).
 *
 * The requests in flight and the failures this instance saw are counted here, in memory and
 * synchronously: a request that fails moves from one count to the other in one step, so on one
 * instance at most `limit` requests of an address can be in flight or failed in one window,
 * whatever the concurrency (of any limit + 1 such requests, the last one checked would have seen
 * the other limit). The shared counter (the rate-limit store: memory, or Redis for several
 * instances) receives each failure and is read once per request, for the failures of the other
 * instances. A request that does not fail writes nothing: no slot is taken in the store and given
 * back (two writes, two Redis round trips, per request). Requests in flight on another instance are
 * not seen here: a burst spread over N instances can have up to N × limit failures answered 401
 * before the shared counter turns the address away everywhere.
 */
export class AuthFailureLimiter {
  /** Requests of this instance in flight, per counter key (deleted when none is left). */
  private readonly inFlight = new Map<string, number>();
  /** Failures this instance saw, per counter key, in the current window only. */
  private failedHere = new Map<string, number>();
  private failedWindowStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: { store: RateLimitStore; clock: Clock; limit: number; windowSeconds: number }) {}

  get enabled(): boolean {
    return this.deps.limit > 0;
  }

  /** A slot, without a promise when the store answers synchronously (memory): no microtask hop per request then. */
  admit(address: string): FailureSlot | Promise<FailureSlot> {
    const now = this.deps.clock.now();
    const span = windowAt({ kind: 'fixed', seconds: this.deps.windowSeconds }, now);
    if (span.start > this.failedWindowStart) {
      this.failedWindowStart = span.start;
      if (this.failedHere.size > 0) this.failedHere = new Map();
    }
    const key = this.key(address, span.start);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let shared: number | Promise<number>;
    try {
      shared = this.deps.store.get(key);
    } catch (error) {
      this.leave(key);
      throw error;
    }
    if (!(shared instanceof Promise)) return this.hold(key, shared, span, now);
    return shared.then(
      (value) => this.hold(key, value, span, now),
      (error: unknown) => {
        this.leave(key);
        throw error;
      },
    );
  }

  /** The slot of a request already counted in flight, once the shared failure count is read. */
  private hold(key: string, shared: number, span: WindowSpan, now: number): FailureSlot {
    // The shared counter holds this instance's failures too, once their write is done.
    const failures = Math.max(shared, this.failedHere.get(key) ?? 0);
    const blocked = failures + this.inFlight.get(key)! > this.deps.limit;
    const slot = new HeldSlot(this, key, span.end + 10_000, { blocked, limit: this.deps.limit, windowSeconds: span.seconds, resetSeconds: secondsUntil(span.end, now) });
    // A refused request is not a failure: its place goes back at once.
    if (blocked) void slot.settle(false);
    return slot;
  }

  /** Ends a request's hold; a failure is counted here at once, and in the shared counter (the promise). */
  release(key: string, expiresAt: number, failed: boolean): Promise<void> | undefined {
    this.leave(key);
    if (!failed) return undefined;
    if (key.endsWith(`:${this.failedWindowStart}`)) this.failedHere.set(key, (this.failedHere.get(key) ?? 0) + 1);
    // The shared store may be unreachable; the failure is then counted on this instance only (a 401 stays a 401).
    return this.deps.store.add(key, 1, expiresAt).then(
      () => undefined,
      () => undefined,
    );
  }

  private leave(key: string): void {
    const held = this.inFlight.get(key)!;
    if (held <= 1) this.inFlight.delete(key);
    else this.inFlight.set(key, held - 1);
  }

  private key(address: string, windowStart: number): string {
    return `address:${clientNetwork(address)}:${this.deps.windowSeconds}:${windowStart}`;
  }
}

/** One request's place, released once (a class rather than a closure per request). */
class HeldSlot implements FailureSlot {
  private settled = false;

  constructor(
    private readonly limiter: AuthFailureLimiter,
    private readonly key: string,
    private readonly expiresAt: number,
    readonly state: AuthFailureState,
  ) {}

  settle(failed: boolean): Promise<void> | undefined {
    if (this.settled) return undefined;
    this.settled = true;
    return this.limiter.release(this.key, this.expiresAt, failed);
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
