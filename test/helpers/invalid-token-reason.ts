import { expect } from 'vitest';
import { SignetError } from '../../src/protocol/errors.js';

/** Runs `fn`; if it refuses, checks the refusal is `invalid_token` and returns its private detail. Undefined: accepted. */
export function invalidTokenReason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('invalid_token');
    return (error as SignetError).privateDetail;
  }
  return undefined;
}
