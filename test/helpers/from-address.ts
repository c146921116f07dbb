import { ManualClock } from '../../src/clock.js';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

export interface AddressedFetch {
  fetch(url: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * fetch whose connections leave from `localAddress` (any of 127.0.0.0/8 on Linux loopback), so a
 * test can be two clients at two addresses on one machine, as the per-address failure gate sees them.
 */
export function fetchFrom(localAddress: string): AddressedFetch {
  const connect = buildConnector({});
  const agent = new Agent({ connect: (options, callback) => connect({ ...options, localAddress } as Parameters<typeof connect>[0], callback) });
  return {
    fetch: (url, init = {}) => undiciFetch(url, { ...init, dispatcher: agent }),
    close: () => agent.close(),
  };
}

/** The fields of a per-address failure refusal that must be the same whichever entry point answers. */
export async function gateRefusal(response: Response): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    contentType: response.headers.get('content-type')?.split(';')[0],
    retryAfter: response.headers.get('retry-after'),
    rateLimitPolicy: response.headers.get('ratelimit-policy'),
    rateLimit: response.headers.get('ratelimit'),
    code: body.code,
    policy: body.policy,
    limit: body.limit,
    window_seconds: body.window_seconds,
    retry_after: body.retry_after,
    detail: body.detail,
  };
}

/**
 * A server clock stopped at the start of the current aligned minute, so the failure window's
 * Retry-After is the whole window (60) as in serve's own test. It lags real time (which signs the
 * tokens) by up to a minute plus the test's length: hence CLOCK_SKEW, the most SIGNET_CLOCK_SKEW allows.
 */
export function windowStartClock(): ManualClock {
  return new ManualClock(Math.floor(Date.now() / 60_000) * 60_000);
}
export const CLOCK_SKEW = 300;
