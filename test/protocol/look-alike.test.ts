import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookAlikeKey } from '../../src/protocol/look-alike.js';

describe('lookAlikeKey', () => {
  it('gives names a person would mistake for each other the same key', () => {
    const key = lookAlikeKey('Acme Corp');
    for (const name of ['acme corp', 'ACME-CORP', 'Ａｃｍｅ Ｃｏｒｐ', 'Àcmé Corp', 'Асmе Соrр', 'acme_corp.']) expect(lookAlikeKey(name), name).toBe(key);
  });

  it('keeps names that differ in a letter or digit apart', () => {
    expect(lookAlikeKey('Acme Corp')).not.toBe(lookAlikeKey('Acme Corp 2'));
    expect(lookAlikeKey('Acme')).not.toBe(lookAlikeKey('Acne'));
  });

  it('ignores case and is stable: the key of a key is itself', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const key = lookAlikeKey(name);
        expect(lookAlikeKey(name.toUpperCase())).toBe(lookAlikeKey(name.toLowerCase()));
        expect(lookAlikeKey(key)).toBe(key);
      }),
    );
  });
});
