import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddressOf } from '../../src/adapters/client-address.js';
import { FUZZ_RUNS } from '../helpers/test-env.js';

const TRUSTED = new Set(['127.0.0.1', '10.0.0.2', '::1']);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const untrusted = ipv4.filter((address) => !TRUSTED.has(address));
/** Whatever a client may write into X-Forwarded-For itself (no comma: that would be another entry). */
const forged = fc.array(
  fc.oneof(
    ipv4,
    fc.string().map((text) => text.replaceAll(',', '')),
  ),
  { maxLength: 5 },
);
const proxyHops = fc.array(fc.constantFrom(...TRUSTED), { maxLength: 3 });

describe('the client address behind trusted proxies', () => {
  it('is the entry the nearest trusted proxy appended, whatever the client wrote to its left', () => {
    fc.assert(
      fc.property(forged, untrusted, proxyHops, fc.constantFrom(...TRUSTED), (written, client, hops, peer) => {
        const header = [...written, client, ...hops].join(', ');
        expect(clientAddressOf(peer, { 'x-forwarded-for': header, 'x-real-ip': '198.51.100.1' }, TRUSTED)).toBe(client);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('is the TCP peer when the peer is not a trusted proxy, whatever the headers say', () => {
    fc.assert(
      fc.property(untrusted, forged, (peer, written) => {
        expect(clientAddressOf(`::ffff:${peer}`, { 'x-forwarded-for': written.join(','), 'x-real-ip': '198.51.100.1' }, TRUSTED)).toBe(peer);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('takes X-Real-IP without X-Forwarded-For, and the proxy itself without either', () => {
    expect(clientAddressOf('127.0.0.1', { 'x-real-ip': ' 203.0.113.4 ' }, TRUSTED)).toBe('203.0.113.4');
    expect(clientAddressOf('127.0.0.1', {}, TRUSTED)).toBe('127.0.0.1');
  });

  it('drops the brackets and ports some proxies write', () => {
    expect(clientAddressOf('127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:443' }, TRUSTED)).toBe('2001:db8::7');
    expect(clientAddressOf('127.0.0.1', { 'x-forwarded-for': '192.0.2.8:5100, 10.0.0.2' }, TRUSTED)).toBe('192.0.2.8');
    expect(clientAddressOf('127.0.0.1', { 'x-forwarded-for': ['192.0.2.1', '192.0.2.9'] }, TRUSTED)).toBe('192.0.2.9');
  });

  it('falls back to the leftmost entry when every entry is a trusted proxy', () => {
    expect(clientAddressOf('127.0.0.1', { 'x-forwarded-for': '10.0.0.2, 127.0.0.1' }, TRUSTED)).toBe('10.0.0.2');
  });
});
