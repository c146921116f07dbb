import { parseDictionary, serializeDictionary, type Dictionary } from 'structured-headers';
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
  let canonical: string;
  try {
    parsed = parseDictionary(value);
    canonical = serializeDictionary(parsed);
  } catch (error) {
    throw invalidToken(`${name} is not a valid structured dictionary: ${(error as Error).message}`);
  }
  if (separatorCount(canonical) !== separatorCount(value)) throw invalidToken(`${name} repeats a key or parameter`);
  return parsed;
}
