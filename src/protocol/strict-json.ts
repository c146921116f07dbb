import { invalidToken } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Taken once at load: the fast path vouches for tokens on the strength of the engine's own parser,
// not of whatever a later module (an APM agent, say) puts in its place.
const nativeParse = JSON.parse;

/**
 * Decodes UTF-8 fatally (invalid bytes are an error, and a byte-order mark is kept so the parser
 * refuses it) and parses strict JSON: no duplicate members, no `__proto__` member, at most
 * MAX_DEPTH levels. JSON.parse keeps the last of duplicate members, which lets two parsers read one
 * token differently; this parser refuses such a token instead.
 */
export function parseStrictJson(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidToken('JSON segment is not valid UTF-8');
  }
  return parseNative(text) ?? parseStrict(text);
}

function parseStrict(text: string): JsonValue {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.whitespace();
  if (parser.pos !== text.length) parser.fail('trailing characters');
  return value;
}

/**
 * The fast path (the parser below took about a sixth of an HMAC request's CPU time): V8's
 * JSON.parse, then the checks it does not make. Text without a backslash has no escapes, so every
 * quote opens or closes a string and a member name is a string followed by a colon; JSON.parse
 * keeps one member of duplicates (the last value, at the first one's place), so the text holds
 * duplicates exactly when it names more members than the parsed objects have. Returns undefined,
 * for the strict parser to decide and name the fault, whenever the fast path cannot vouch for the
 * input.
 */
function parseNative(text: string): JsonValue | undefined {
  if (text.includes('\\')) return undefined;
  let value: JsonValue;
  try {
    value = nativeParse(text) as JsonValue;
  } catch {
    return undefined;
  }
  const members = memberCount(value, 0);
  return members >= 0 && members === memberNamesIn(text) ? value : undefined;
}

/** Members of every object in `value`, or -1 if it nests too deeply or holds a __proto__ member. */
function memberCount(value: JsonValue, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = memberCount(item, depth + 1);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  if (Object.hasOwn(value, '__proto__')) return -1;
  // Own names only: a member inherited from a polluted Object.prototype must not make up for a duplicate.
  for (const key of Object.keys(value)) {
    const inner = memberCount(value[key]!, depth + 1);
    if (inner < 0) return -1;
    count += inner + 1;
  }
  return count;
}

/**
 * Member names in JSON text without escapes, valid (JSON.parse accepted it; nothing else is
 * assumed): strings whose closing quote is followed by a colon.
 */
function memberNamesIn(text: string): number {
  let names = 0;
  let open = text.indexOf('"');
  while (open >= 0) {
    const close = text.indexOf('"', open + 1);
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++next);
    if (c === 0x3a) names++;
    open = text.indexOf('"', next);
  }
  return names;
}

/** For tests: the two paths, which must agree wherever the fast one answers. */
export const strictJsonPaths = { parseNative, parseStrict };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw invalidToken(`strict JSON: ${reason} at ${this.pos}`);
  }

  whitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.whitespace();
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x22) return this.string();
    if (c === 0x74 && t.startsWith('true', this.pos)) return ((this.pos += 4), true);
    if (c === 0x66 && t.startsWith('false', this.pos)) return ((this.pos += 5), false);
    if (c === 0x6e && t.startsWith('null', this.pos)) return ((this.pos += 4), null);
    return this.number();
  }

  /**
   * A short integer (the claims' iat and exp) is read digit by digit; anything else, and anything
   * the grammar might refuse (a leading zero, a sign alone), goes through the NUMBER expression.
   */
  number(): number {
    const t = this.text;
    const start = this.pos;
    let i = t.charCodeAt(start) === 0x2d ? start + 1 : start;
    const first = t.charCodeAt(i);
    if (first > 0x30 && first <= 0x39) {
      let n = 0;
      // At most 15 digits: every such integer is exact in a double, so n equals Number(digits).
      const end = Math.min(t.length, i + 15);
      for (; i < end; i++) {
        const d = t.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
      }
      const next = t.charCodeAt(i);
      if (!(next >= 0x30 && next <= 0x39) && next !== 0x2e && next !== 0x65 && next !== 0x45) {
        this.pos = i;
        return t.charCodeAt(start) === 0x2d ? -n : n;
      }
    }
    NUMBER.lastIndex = start;
    const match = NUMBER.exec(t);
    if (match === null) this.fail('unexpected character');
    this.pos += match[0].length;
    return Number(match[0]);
  }

  object(depth: number): { [key: string]: JsonValue } {
    this.pos++;
    const out: { [key: string]: JsonValue } = {};
    this.whitespace();
    if (this.text[this.pos] === '}') return (this.pos++, out);
    for (;;) {
      this.whitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a member name');
      const key = this.string();
      // `out` is the set of names seen so far; __proto__ is refused before it could be assigned.
      if (key === '__proto__') this.fail('__proto__ member');
      if (Object.hasOwn(out, key)) this.fail('duplicate member');
      this.whitespace();
      if (this.text[this.pos] !== ':') this.fail('expected a colon');
      this.pos++;
      // A data property, as JSON.parse makes: an assignment would run a setter inherited from Object.prototype.
      Object.defineProperty(out, key, { value: this.value(depth + 1), writable: true, enumerable: true, configurable: true });
      this.whitespace();
      const next = this.text[this.pos++];
      if (next === '}') return out;
      if (next !== ',') this.fail('expected a comma or closing brace');
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.whitespace();
    if (this.text[this.pos] === ']') return (this.pos++, out);
    for (;;) {
      out.push(this.value(depth + 1));
      this.whitespace();
      const next = this.text[this.pos++];
      if (next === ']') return out;
      if (next !== ',') this.fail('expected a comma or closing bracket');
    }
  }

  string(): string {
    const t = this.text;
    let out = '';
    let start = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos++);
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      const e = t[this.pos + 1];
      if (e === 'u') {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad unicode escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        this.pos += 2;
      } else {
        this.fail('bad escape');
      }
      start = this.pos;
    }
  }
}
