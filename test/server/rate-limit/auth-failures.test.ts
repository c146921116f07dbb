import { describe, expect, it } from 'vitest';
import { clientNetwork } from '../../../src/server/rate-limit/auth-failures.js';

describe('the client network of an address, for the failure limit', () => {
  it('is the IPv4 address itself, also when IPv4-mapped, and the /64 of an IPv6 address', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('2001:db8:85a3:0:1:2:3:4')).toBe('2001:db8:85a3:0::/64');
    expect(clientNetwork('2001:0db8:85a3:0000:ffff:2:3:4')).toBe('2001:db8:85a3:0::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
