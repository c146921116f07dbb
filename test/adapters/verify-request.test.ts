import { describe, expect, it } from 'vitest';
import { headerFields } from '../../src/adapters/verify-request.js';

describe('headerFields', () => {
  it('hands Node-style lower-case header objects over as they are, without a copy', () => {
    const headers = { authorization: 'Signet abc', 'set-cookie': ['a=1', 'b=2'] };
    expect(headerFields(headers)).toBe(headers);
  });

  it('copies a record with upper-case names into lower-case names', () => {
    const headers = { Authorization: 'Signet abc', 'Signature-Input': 'sig=()' };
    const fields = headerFields(headers);
    expect(fields).not.toBe(headers);
    expect(fields).toEqual({ authorization: 'Signet abc', 'signature-input': 'sig=()' });
  });

  it('reads a WHATWG Headers into a record with lower-case names', () => {
    expect(headerFields(new Headers({ 'X-One': '1', accept: 'text/plain' }))).toEqual({ 'x-one': '1', accept: 'text/plain' });
  });
});
