import { parseDictionary, type Dictionary } from 'structured-headers';
import { invalidToken } from '../errors.js';

/**
 * Member and parameter separators (`,` and `;`) outside strings. Only ever applied to text that
 * structured-headers has already parsed (or produced), where strings are the only place such
 * characters can hide: display strings have no escapes and sf-strings escape `"` and `\` only.
 */
function separatorCount(text: string): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === ',' || char === ';') count++;
  }
  return count;
}

/**
 * The `,` and `;` separators the canonical serialisation of a parsed dictionary has: one `,`
 * between members and one `;` per parameter (of a member, of an inner list, of an item in one).
 * Counted from the parsed structure rather than by serialising it, which cost a quarter of the
 * RFC 9421 format's CPU overhead over the JWS format (the Signature member's byte sequence
 * re-encoded character by character); same figure, as the tests pinning the serialiser show.
 */
function canonicalSeparatorCount(dictionary: Dictionary): number {
  let count = dictionary.size > 0 ? dictionary.size - 1 : 0;
  for (const [value, parameters] of dictionary.values()) {
    count += parameters.size;
    if (Array.isArray(value)) for (const item of value) count += item[1].size;
  }
  return count;
}

/**
 * Parses one Structured Field dictionary (RFC 9651) strictly with structured-headers: length cap
 * first, then any syntax error. RFC 9651 lets a repeated dictionary key or parameter silently
 * replace the earlier one; for a signature that is ambiguity (two `sig1` labels, two `created`
 * parameters: which did the signer mean?), so a repeat is refused too. It is detected without a
 * second grammar: the canonical serialisation of what was parsed has as many separators as the
 * input exactly when nothing was dropped. Every failure is `invalid_token` with a private reason.
 */
export function parseStrictDictionary(name: string, value: string, maxLength: number): Dictionary {
  if (value.length > maxLength) throw invalidToken(`${name} longer than ${maxLength}`);
  let parsed: Dictionary;
  try {
    parsed = parseDictionary(value);
  } catch (error) {
    throw invalidToken(`${name} is not a valid structured dictionary: ${(error as Error).message}`);
  }
  if (canonicalSeparatorCount(parsed) !== separatorCount(value)) throw invalidToken(`${name} repeats a key or parameter`);
  return parsed;
}
