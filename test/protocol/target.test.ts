import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeUrl, expectedUrl, expectedUrlFor, queryParam, queryParamValues } from '../../src/protocol/target.js';
import { FUZZ_RUNS } from '../helpers/test-env.js';

const href = (url: string) => canonicalizeUrl(url)?.href;

describe('canonicalizeUrl', () => {
  it('splits a canonical URL into origin and target', () => {
    expect(canonicalizeUrl('https://api.example.com/v1/items?a=1&b=2')).toEqual({
      origin: 'https://api.example.com',
      target: '/v1/items?a=1&b=2',
      href: 'https://api.example.com/v1/items?a=1&b=2',
    });
  });

  it('lower-cases scheme and host but not path or query', () => {
    expect(href('HTTPS://API.Example.COM/V1/Items?Q=A')).toBe('https://api.example.com/V1/Items?Q=A');
  });

  it('writes percent-escapes in upper case, in path and query, without decoding anything', () => {
    expect(href('https://h/a%2fb%c3%a9?x=%2f%3D')).toBe('https://h/a%2Fb%C3%A9?x=%2F%3D');
    expect(href('https://h/%41')).toBe('https://h/%41');
  });

  it('drops the default port of the scheme only', () => {
    expect(href('https://h:443/')).toBe('https://h/');
    expect(href('http://h:80/')).toBe('http://h/');
    expect(href('http://h:443/')).toBe('http://h:443/');
    expect(href('https://h:80/')).toBe('https://h:80/');
    expect(href('https://h:8443/')).toBe('https://h:8443/');
  });

  it('drops an empty port', () => {
    expect(href('https://h:/x')).toBe('https://h/x');
  });

  it('turns an empty path into /', () => {
    expect(href('https://h')).toBe('https://h/');
    expect(href('https://h?a=1')).toBe('https://h/?a=1');
  });

  it('drops an empty query, that is a trailing ?', () => {
    expect(href('https://h/x?')).toBe('https://h/x');
    expect(href('https://h?')).toBe('https://h/');
  });

  it('keeps dot segments, repeated slashes and query order as they are', () => {
    expect(href('https://h/a/../b/./c')).toBe('https://h/a/../b/./c');
    expect(href('https://h//x')).toBe('https://h//x');
    expect(href('https://h/?b=2&a=1&b=1')).toBe('https://h/?b=2&a=1&b=1');
  });

  it('keeps IPv6 literals and their ports', () => {
    expect(href('http://[::1]:8080/x')).toBe('http://[::1]:8080/x');
    expect(href('http://[::1]/x')).toBe('http://[::1]/x');
  });

  it.each([
    ['a fragment', 'https://h/x#frag'],
    ['user information', 'https://user:pw@h/x'],
    ['a user name', 'https://api.example.com@evil.example/x'],
    ['a port that is not a number', 'https://h:abc/x'],
    ['two ports', 'https://h:1:2/x'],
    ['an unbracketed IPv6 address', 'http://::1/x'],
    ['another scheme', 'ftp://h/x'],
    ['a relative URL', '/v1/whoami'],
    ['a scheme-relative URL', '//h/x'],
    ['whitespace', 'https://h/a b'],
    ['an empty host', 'https:///x'],
  ])('refuses %s', (_, url) => {
    expect(canonicalizeUrl(url)).toBeUndefined();
  });

  it('is idempotent', () => {
    for (const url of ['HTTPS://H:443/a%2f?', 'http://h:80?x=%aa', 'https://h:8443/a/../b?c=d&e']) {
      const once = href(url)!;
      expect(href(once)).toBe(once);
    }
  });

  it('drops the named parameter only when asked, keeping the others in order', () => {
    const url = 'https://h/x?a=1&signet_token=abc&b=2&signet_token=def';
    expect(canonicalizeUrl(url, { dropParam: 'signet_token' })?.href).toBe('https://h/x?a=1&b=2');
    expect(canonicalizeUrl('https://h/x?signet_token=abc', { dropParam: 'signet_token' })?.href).toBe('https://h/x');
    expect(canonicalizeUrl('https://h/x?signet_tokens=1', { dropParam: 'signet_token' })?.href).toBe('https://h/x?signet_tokens=1');
    expect(href(url)).toBe(url);
  });
});

describe('expectedUrl', () => {
  it('joins the configured public origin and the request target, canonicalised', () => {
    expect(expectedUrl('https://API.example.com:443', '/v1/x?a=%2f')).toBe('https://api.example.com/v1/x?a=%2F');
    expect(expectedUrl('https://api.example.com', '/v1/x?')).toBe('https://api.example.com/v1/x');
  });

  it('removes the presign parameter only for a presigned request', () => {
    expect(expectedUrl('https://h', '/dl?f=1&signet_token=T', true)).toBe('https://h/dl?f=1');
    expect(expectedUrl('https://h', '/dl?signet_token=T', true)).toBe('https://h/dl');
    expect(expectedUrl('https://h', '/dl?f=1&signet_token=T', false)).toBe('https://h/dl?f=1&signet_token=T');
  });

  it('refuses a target that is not origin-form (absolute-form, asterisk)', () => {
    expect(expectedUrl('https://h', 'http://evil.example/v1/x')).toBeUndefined();
    expect(expectedUrl('https://h', '*')).toBeUndefined();
  });

  it('agrees with what the signer puts in the url claim for the same request', () => {
    for (const target of ['/v1/whoami', '/v1/echo?a=%c3%a9&b', '/x?', '/']) {
      expect(expectedUrl('https://api.example.com', target)).toBe(href('https://api.example.com' + target));
    }
  });
});

describe('queryParam', () => {
  it('reads the raw value of the first occurrence without decoding', () => {
    expect(queryParam('/x?a=1&t=a%2Fb&t=2', 't')).toBe('a%2Fb');
    expect(queryParam('/x?t', 't')).toBe('');
    expect(queryParam('/x?ta=1', 't')).toBeUndefined();
    expect(queryParam('/x', 't')).toBeUndefined();
  });

  it('lists every occurrence, so a repeated presigned-link parameter can be refused', () => {
    expect(queryParamValues('/x?t=1&a=2&t=&t', 't')).toEqual(['1', '', '']);
    expect(queryParamValues('/x?ta=1', 't')).toEqual([]);
    expect(queryParamValues('/x', 't')).toEqual([]);
  });
});

describe('expectedUrlFor', () => {
  const origins = ['https://API.example.com:443', 'http://h:8080/', 'https://h/Base%2f', 'http://[::1]:80', 'https://user@h', 'ftp://h', 'https://h:'];

  it('gives what expectedUrl gives, for any origin and target, presigned or not', () => {
    const targetChar = fc.constantFrom(...'/aZ09-._~%2f?#&= \t@:'.split(''), 'é');
    fc.assert(
      fc.property(fc.constantFrom(...origins), fc.string({ unit: targetChar, maxLength: 24 }), fc.boolean(), (origin, tail, presigned) => {
        for (const target of ['/' + tail, tail]) {
          expect(expectedUrlFor(origin)(target, presigned)).toBe(expectedUrl(origin, target, presigned));
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('appends a plain target to the canonical origin', () => {
    expect(expectedUrlFor('https://API.example.com:443/')('/v1/whoami')).toBe('https://api.example.com/v1/whoami');
    expect(expectedUrlFor('https://h/Base%2f')('/x')).toBe('https://h/Base%2F/x');
  });
});
