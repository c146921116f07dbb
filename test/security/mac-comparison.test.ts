import { createHmac } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { ParsedToken } from '../../src/protocol/token.js';
import type { ResolvedKey } from '../../src/server/key-cache.js';

/** Every comparison node:crypto's timingSafeEqual is asked for, as [length, length]. */
const comparisons = vi.hoisted(() => [] as Array<[number, number]>);

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      comparisons.push([a.byteLength, b.byteLength]);
      return original.timingSafeEqual(a, b);
    },
  };
});

const { checkSignature } = await import('../../src/server/verifier.js');

const secret = new Uint8Array(32).fill(7);
const hmacKey = { key: { type: 'hmac' }, keyObject: null } as unknown as Pick<ResolvedKey, 'key' | 'keyObject'>;
const input = 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ';
const mac = new Uint8Array(createHmac('sha256', secret).update(input).digest());
const parsed = (signature: Uint8Array) => ({ signingInput: input, signature }) as ParsedToken;

/**
 * Timing leaks in the MAC comparison (RFC 8725 section 3.3; GHSA-9gxv-x7rp-r2hc): the HS256 path
 * compares equal-length buffers with crypto.timingSafeEqual and refuses other lengths before it
 * compares, without throwing. No timing is measured: that would be flaky on a shared machine.
 */
describe('the HS256 MAC comparison', () => {
  it('compares MACs with timingSafeEqual on 32-byte buffers, and refuses other lengths without comparing or throwing', async () => {
    comparisons.length = 0;
    expect(await checkSignature(parsed(mac), hmacKey, secret)).toBe(true);
    const wrong = mac.slice();
    wrong[0]! ^= 1;
    expect(await checkSignature(parsed(wrong), hmacKey, secret)).toBe(false);
    wrong[0]! ^= 1;
    wrong[31]! ^= 0x80;
    expect(await checkSignature(parsed(wrong), hmacKey, secret)).toBe(false);
    expect(comparisons).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
    ]);

    comparisons.length = 0;
    for (const length of [0, 16, 31, 33, 64]) {
      const other = new Uint8Array(length);
      other.set(mac.subarray(0, Math.min(length, 32)));
      expect(await checkSignature(parsed(other), hmacKey, secret)).toBe(false);
    }
    expect(comparisons).toEqual([]);
  });
});
