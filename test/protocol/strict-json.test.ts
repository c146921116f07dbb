import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../src/protocol/errors.js';
import { isDeepStrictEqual } from 'node:util';
import { parseStrictJson, strictJsonPaths } from '../../src/protocol/strict-json.js';
import { FUZZ_RUNS } from '../helpers/test-env.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseStrictJson(utf8(text));

function refusalOf(input: string | Uint8Array): SignetError | undefined {
  try {
    parseStrictJson(typeof input === 'string' ? utf8(input) : input);
    return undefined;
  } catch (error) {
    return error as SignetError;
  }
}

/** The refusal of `input` while Object.prototype carries `name` (vitest's expect cannot run until it is gone). */
function refusalWhilePolluted(name: string, descriptor: PropertyDescriptor, input: string): SignetError | undefined {
  Object.defineProperty(Object.prototype, name, { ...descriptor, configurable: true });
  try {
    return refusalOf(input);
  } finally {
    delete (Object.prototype as Record<string, unknown>)[name];
  }
}

function expectRefused(input: string | Uint8Array): void {
  const error = refusalOf(input);
  expect(error, `accepted ${String(input)}`).toBeInstanceOf(SignetError);
  expect(error?.code).toBe('invalid_token');
}

describe('strict JSON', () => {
  it('parses ordinary JSON like JSON.parse', () => {
    const text = ' {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\\n\\u00e9\\"\\\\\\/"}, "e": ""} ';
    expect(parse(text)).toEqual(JSON.parse(text));
  });

  it('refuses duplicate member names, including duplicates spelt with escapes and in nested objects', () => {
    expectRefused('{"alg":"EdDSA","alg":"none"}');
    expectRefused('{"alg":"EdDSA","\\u0061lg":"none"}');
    expectRefused('{"a":{"b":1,"b":2}}');
    expectRefused('[{"x":1,"x":1}]');
  });

  it('accepts the same member name in sibling objects', () => {
    expect(parse('[{"x":1},{"x":2}]')).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('refuses a __proto__ member, also when spelt with escapes', () => {
    expectRefused('{"__proto__":{"admin":true}}');
    expectRefused('{"\\u005f_proto__":{"admin":true}}');
    expectRefused('{"\\u005F\\u005Fproto\\u005f\\u005f":1}');
    expectRefused('{"a":{"__proto__":null}}');
  });

  it('does not let any member reach Object.prototype', () => {
    parse('{"constructor":{"prototype":{"polluted":true}},"toString":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a duplicate member even while Object.prototype carries an enumerable member of its own', () => {
    const refusal = refusalWhilePolluted('injected', { value: 1, enumerable: true, writable: true }, '{"a":1,"a":2}');
    expect(refusal?.code).toBe('invalid_token');
  });

  it('refuses a byte-order mark', () => {
    expectRefused(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{}')]));
  });

  it.each([
    ['a truncated sequence', [0x22, 0xc3, 0x22]],
    ['a lone continuation byte', [0x22, 0x80, 0x22]],
    ['an overlong encoding of "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a code point above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
    ['the byte 0xFF', [0x22, 0xff, 0x22]],
  ])('refuses invalid UTF-8: %s', (_, raw) => {
    expectRefused(new Uint8Array(raw));
  });

  it('accepts nesting up to 8 levels below the top and refuses 9', () => {
    expect(parse('['.repeat(9) + ']'.repeat(9))).toBeDefined();
    expectRefused('['.repeat(10) + ']'.repeat(10));
    expectRefused('{"a":'.repeat(10) + '1' + '}'.repeat(10));
  });

  it('refuses absurdly deep nesting with invalid_token, not a stack overflow', () => {
    expectRefused('['.repeat(100_000));
  });

  it.each([
    ['trailing characters', '{} x'],
    ['two values', '{}{}'],
    ['a trailing comma in an object', '{"a":1,}'],
    ['a trailing comma in an array', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['an unquoted name', '{a:1}'],
    ['a leading zero', '[01]'],
    ['a plus sign', '[+1]'],
    ['a bare decimal point', '[1.]'],
    ['NaN', '[NaN]'],
    ['Infinity', '[Infinity]'],
    ['a raw control character in a string', '"a\u0001b"'],
    ['a raw newline in a string', '"a\nb"'],
    ['an unknown escape', '"\\x41"'],
    ['a short unicode escape', '"\\u00e"'],
    ['an unterminated string', '"abc'],
    ['a comment', '{} // x'],
    ['nothing', ''],
    ['only whitespace', '  '],
  ])('refuses %s', (_, text) => {
    expectRefused(text);
  });

  it('agrees with JSON.parse on every JSON text without duplicates, __proto__ or deep nesting', () => {
    const json = fc.jsonValue({ maxDepth: 7 }).filter((value) => !JSON.stringify(value).includes('"__proto__"'));
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value);
        expect(parse(text)).toEqual(JSON.parse(text));
        // The hand parser too, which the fast path skips for every text without an escape.
        expect(strictJsonPaths.parseStrict(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('reads every number text as JSON.parse does, and refuses what JSON.parse refuses', () => {
    // Digits, signs, dots and exponents in any order: integers short and long, leading zeros,
    // "-0", a lone sign, fractions and exponents, inside an array as the claims sit in an object.
    const numberish = fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '-', '+', '.', 'e', 'E'), minLength: 1, maxLength: 24 });
    const integers = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n })).map(String);
    fc.assert(
      fc.property(fc.oneof(numberish, integers), (number) => {
        const text = `[${number},${number}]`;
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expectRefused(text);
          return;
        }
        for (const parsed of [parse(text), strictJsonPaths.parseStrict(text)] as number[][]) {
          expect(parsed).toHaveLength(2);
          for (const [i, value] of parsed.entries()) expect(Object.is(value, (expected as number[])[i]), `${text} read as ${value}`).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('refuses a text exactly when one of its objects names a member twice, at any depth, with names that look like JSON', () => {
    // Names from a small alphabet (so duplicates are common) holding quotes' neighbours: colons,
    // braces, commas and spaces inside names and string values must not be mistaken for structure.
    const name = fc.constantFrom('a', 'b', 'a:', ' :', '{"', ',"b"', 'kid');
    type Tree = { kind: 'object'; members: [string, Tree][] } | { kind: 'array'; items: Tree[] } | { kind: 'leaf'; text: string };
    const leaf = fc.constantFrom('1', '"a"', '"x:"', '" : "', 'null', 'true', '{}', '[]').map((text): Tree => ({ kind: 'leaf', text }));
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(fc.tuple(name, tie('tree')), { maxLength: 4 }).map((members): Tree => ({ kind: 'object', members })),
        fc.array(tie('tree'), { maxLength: 3 }).map((items): Tree => ({ kind: 'array', items })),
      ),
    }));
    const render = (t: Tree, space: string): string =>
      t.kind === 'leaf'
        ? t.text
        : t.kind === 'array'
          ? `[${t.items.map((item) => render(item, space)).join(`,${space}`)}]`
          : `{${t.members.map(([key, value]) => `"${key.replaceAll('"', "'")}"${space}:${space}${render(value, space)}`).join(',')}}`;
    const hasDuplicate = (t: Tree): boolean =>
      t.kind === 'leaf'
        ? false
        : t.kind === 'array'
          ? t.items.some(hasDuplicate)
          : new Set(t.members.map(([key]) => key.replaceAll('"', "'"))).size < t.members.length || t.members.some(([, value]) => hasDuplicate(value));
    const depth = (t: Tree): number => (t.kind === 'leaf' ? 0 : 1 + Math.max(0, ...(t.kind === 'array' ? t.items : t.members.map(([, v]) => v)).map(depth)));
    fc.assert(
      fc.property(tree, fc.constantFrom('', ' ', '\n\t'), (t, space) => {
        fc.pre(t.kind !== 'leaf' && depth(t) <= 8);
        const text = render(t, space);
        if (hasDuplicate(t)) expectRefused(text);
        else expect(parse(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('answers on the fast path only where the hand parser reads the same value, key order and -0 included', () => {
    const unit = fc.constantFrom('{', '}', '[', ']', ',', ':', '"a"', '"b"', '"__proto__"', '" : "', '0', '-0', '1e400', '12345678901234567', 'true', 'null', ' ', '\n', '\r', '\t');
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 24 }).map((units) => units.join('')),
        (text) => {
          const fast = strictJsonPaths.parseNative(text);
          if (fast === undefined) return;
          const strict = strictJsonPaths.parseStrict(text);
          expect(isDeepStrictEqual(strict, fast) && JSON.stringify(strict) === JSON.stringify(fast), text).toBe(true);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('refuses a duplicate member even while Object.prototype carries a setter for its name', () => {
    let written = 0;
    const refusal = refusalWhilePolluted('alg', { set: () => void written++ }, '{"alg":"EdDSA","alg":"none"}');
    expect(refusal?.code).toBe('invalid_token');
    expect(written).toBe(0);
  });

  it('never throws anything but invalid_token on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const error = refusalOf(raw);
        if (error !== undefined) expect(error.code).toBe('invalid_token');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
