/**
 * Text stored by someone else (consumer names, key labels, audit actors, metadata) shown in a
 * terminal. A label is written by whoever holds the `keys` scope and read by an admin: left raw,
 * its control characters would act on the admin's terminal (ESC sequences that clear the screen,
 * OSC 52 that writes the clipboard, OSC 8 that hides a link; C1 controls that some terminals
 * take for ESC; CR/LF that forge a table row) and bidi controls would reorder what is shown
 * ("invoice\u202Efdp.exe" displays as "invoiceexe.pdf"). These characters are written as visible
 * escapes instead.
 */
// C0 and DEL, C1, the Arabic letter mark, zero-width space and joiners, LRM/RLM, line and
// paragraph separators, the bidi embeddings, overrides and isolates, word joiner and invisible
// operators, and the byte-order mark; plus lone surrogates.
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const escape = (character: string) => `\\u{${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`;

/** `text` with every control, C1, bidi and invisible formatting character written as \u{XXXX}. */
export function shown(text: unknown): string {
  return String(text).replace(UNSAFE, escape);
}

/**
 * JSON text for --json output: JSON.stringify escapes C0 controls only, so C1, bidi and invisible
 * characters are escaped here too (as \uXXXX: the same JSON value, safe to print).
 */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
