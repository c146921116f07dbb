/**
 * Latin look-alikes among Cyrillic and Greek letters (after lower-casing): the ones that turn
 * "Acme" into a second, different-looking-to-the-machine "Асme". Unicode's full confusables table
 * (UTS #39) has thousands of rows; these cover the scripts a name is realistically spoofed with,
 * and a miss only costs a warning that was not given.
 */
const LATIN_LOOK_ALIKES: Readonly<Record<string, string>> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ζ: 'z',
};

/**
 * What a name looks like to a person, as a comparable key: compatibility-normalised (full-width
 * "ＡＣＭＥ" is "ACME"), case-folded, accents dropped, Cyrillic and Greek look-alikes read as Latin,
 * and spaces and punctuation ignored. Two names with the same key are easy to mistake for each other.
 */
export function lookAlikeKey(name: string): string {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  let key = '';
  for (const char of folded) {
    if (/[\p{L}\p{N}]/u.test(char)) key += LATIN_LOOK_ALIKES[char] ?? char;
  }
  return key;
}
