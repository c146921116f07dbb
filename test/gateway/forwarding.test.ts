import { describe, expect, it } from 'vitest';
import { connectionTokens, responseHeaderLines, upstreamRequestHeaders, type ForwardContext } from '../../src/gateway/forwarding.js';
import type { AdmittedRequest } from '../../src/server/rate-limit/admission.js';

const alice = {
  consumer: { id: 'c_alice', name: 'Alice' },
  key: { id: 'k_alice', scopes: ['pets:read', 'pets:write'] },
  mode: 'ed25519',
} as unknown as AdmittedRequest;

const context = (overrides: Partial<ForwardContext> = {}): ForwardContext => ({
  remoteAddress: '10.0.0.7',
  trustForwardedFor: false,
  proto: 'https',
  keepAuthorization: false,
  identity: alice,
  requestId: 'req-1',
  ...overrides,
});

/** A flat [name, value, ...] list as pairs, for readable expectations. */
const pairs = (lines: readonly string[]): [string, string][] => lines.flatMap((_, i) => (i % 2 === 0 ? [[lines[i]!, lines[i + 1]!] as [string, string]] : []));

describe('connectionTokens', () => {
  it('names nothing for no Connection field or one listing only hop-by-hop names', () => {
    expect(connectionTokens(undefined).size).toBe(0);
    expect(connectionTokens('keep-alive').size).toBe(0);
    expect(connectionTokens('Keep-Alive').size).toBe(0);
    expect(connectionTokens(['keep-alive', ' Upgrade ']).size).toBe(0);
  });

  it('names every other listed field, lower-case, from one or several Connection fields', () => {
    expect([...connectionTokens('keep-alive, X-Private-Hop,,close')]).toEqual(['x-private-hop', 'close']);
    expect([...connectionTokens(['X-One', 'x-two'])]).toEqual(['x-one', 'x-two']);
  });
});

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop fields, those Connection names, Host, Content-Length, signet-*, the client X-Forwarded-* fields and its Request-Id', () => {
    const lines = upstreamRequestHeaders(
      {
        host: 'api.example.test',
        connection: 'keep-alive, x-private-hop',
        'keep-alive': 'timeout=5',
        'x-private-hop': 'secret',
        'content-length': '2',
        'transfer-encoding': 'chunked',
        'signet-consumer-id': 'forged',
        'request-id': 'chosen-by-the-client',
        'x-forwarded-proto': 'http',
        accept: 'application/json',
        'set-cookie': ['a=1', 'b=2'],
      },
      context(),
    );
    expect(pairs(lines)).toEqual([
      ['accept', 'application/json'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-forwarded-for', '10.0.0.7'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'api.example.test'],
      ['signet-consumer-id', 'c_alice'],
      ['signet-consumer-name', 'Alice'],
      ['signet-key-id', 'k_alice'],
      ['signet-scopes', 'pets:read pets:write'],
      ['signet-mode', 'ed25519'],
      ['request-id', 'req-1'],
    ]);
  });

  it('forwards Authorization only when the route asks', () => {
    const incoming = { authorization: 'Signet abc' };
    expect(upstreamRequestHeaders(incoming, context())).not.toContain('authorization');
    expect(pairs(upstreamRequestHeaders(incoming, context({ keepAuthorization: true })))[0]).toEqual(['authorization', 'Signet abc']);
  });

  it('appends the client address to a trusted X-Forwarded-For and sets no identity on a public route', () => {
    const lines = upstreamRequestHeaders({ 'x-forwarded-for': '203.0.113.9' }, context({ trustForwardedFor: true, identity: undefined }));
    expect(pairs(lines)).toEqual([
      ['x-forwarded-for', '203.0.113.9, 10.0.0.7'],
      ['x-forwarded-proto', 'https'],
      ['request-id', 'req-1'],
    ]);
  });

  it('percent-encodes a consumer name outside printable ASCII', () => {
    const lines = upstreamRequestHeaders({}, context({ identity: { ...alice, consumer: { ...alice.consumer, name: 'Zoë' } } as AdmittedRequest }));
    expect(pairs(lines)).toContainEqual(['signet-consumer-name', 'Zo%C3%AB']);
  });
});

describe('responseHeaderLines', () => {
  const raw = (...lines: string[]) => lines.map((line) => Buffer.from(line, 'latin1'));

  it('drops hop-by-hop fields, those Connection names and those Signet sets, which follow', () => {
    const lines = responseHeaderLines(raw('Connection', 'keep-alive, X-Private-Hop', 'Keep-Alive', 'timeout=5', 'X-Private-Hop', 'x', 'Request-Id', 'upstream', 'Content-Length', '2'), {
      'Request-Id': 'req-1',
    });
    expect(pairs(lines)).toEqual([
      ['Content-Length', '2'],
      ['Request-Id', 'req-1'],
    ]);
  });

  it('keeps every field when the upstream sends only "Connection: keep-alive"', () => {
    expect(pairs(responseHeaderLines(raw('Connection', 'keep-alive', 'X-Kept', 'yes'), {}))).toEqual([['X-Kept', 'yes']]);
  });
});
