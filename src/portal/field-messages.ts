/**
 * The server's field errors come from its schema validator, worded for programmers ("Too small:
 * expected string to have >=1 characters"). The portal shows people a sentence instead; a message
 * it does not recognise as validator wording (the server's own sentences) passes unchanged.
 */
const RULES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^Too small: expected string to have >=1 characters?/i, () => 'This cannot be empty.'],
  [/^Too small: expected string to have >=(\d+) characters?/i, (m) => `Use at least ${m[1]} characters.`],
  [/^Too big: expected string to have <=(\d+) characters?/i, (m) => `Use at most ${m[1]} characters.`],
  [/^Too small: expected (?:number|int) to be >=?(-?[\d.]+)/i, (m) => `Use a number of at least ${m[1]}.`],
  [/^Too big: expected (?:number|int) to be <=?(-?[\d.]+)/i, (m) => `Use a number of at most ${m[1]}.`],
  [/^Too (?:small|big): expected array to have ([<>]=?)(\d+) items?/i, (m) => (m[1]!.startsWith('>') ? `Choose at least ${m[2]}.` : `Choose at most ${m[2]}.`)],
  [/^Invalid input: expected \w+, received undefined/i, () => 'This is required.'],
  [/^Invalid input: expected (\w+), received (\w+)/i, (m) => `This must be a ${m[1] === 'string' ? 'text' : m[1]}, not a ${m[2]}.`],
  [/^Invalid option: expected one of (.+)$/i, (m) => `Choose one of: ${m[1]!.replace(/"/g, '').split('|').join(', ')}.`],
  [/^Invalid (?:ISO )?date ?time/i, () => 'Enter a date and time such as 2030-01-31T12:00:00Z.'],
  [/^Invalid string: must match pattern/i, () => 'This contains characters that are not allowed.'],
  [/^Unknown field\.?$/i, () => 'This field is not accepted here.'],
  [/^(?:Too small|Too big|Invalid)\b/i, () => 'This value is not accepted.'],
];

/** A validator message as a sentence for people; anything else unchanged. */
export function humanFieldMessage(message: string): string {
  for (const [pattern, say] of RULES) {
    const match = pattern.exec(message);
    if (match !== null) return say(match);
  }
  return message;
}
