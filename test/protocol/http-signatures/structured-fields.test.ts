import fc from 'fast-check';
import { serializeDictionary, type BareItem, type Dictionary, type InnerList, type Item } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/protocol/errors.js';
import { parseStrictDictionary } from '../../../src/protocol/http-signatures/structured-fields.js';
import { FUZZ_RUNS } from '../../helpers/test-env.js';

const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/);
const bareItem: fc.Arbitrary<BareItem> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.boolean(),
  fc.stringMatching(/^[ -:<-~]{0,12}$/), // no ';': the repeat below is made by editing the serialisation
  fc.uint8Array({ maxLength: 16 }).map((bytes) => new Uint8Array(bytes).buffer as ArrayBuffer),
);
const parameters = fc.uniqueArray(fc.tuple(key, bareItem), { maxLength: 3, selector: ([name]) => name }).map((pairs) => new Map(pairs));
const item: fc.Arbitrary<Item> = fc.tuple(bareItem, parameters);
const innerList: fc.Arbitrary<InnerList> = fc.tuple(fc.array(item, { maxLength: 3 }), parameters);
const dictionary: fc.Arbitrary<Dictionary> = fc.uniqueArray(fc.tuple(key, fc.oneof(item, innerList)), { minLength: 1, maxLength: 4, selector: ([name]) => name }).map((members) => new Map(members));

function refusal(value: string): string | undefined {
  try {
    parseStrictDictionary('Field', value, 8192);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    return (error as SignetError).privateDetail;
  }
  return undefined;
}

describe('parseStrictDictionary', () => {
  it('accepts any dictionary without repeats as structured-headers serialises it', () => {
    fc.assert(
      fc.property(dictionary, (parsed) => {
        expect(refusal(serializeDictionary(parsed))).toBeUndefined();
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('refuses any dictionary with a member key repeated, or a parameter repeated on a member', () => {
    fc.assert(
      fc.property(dictionary, fc.boolean(), (parsed, repeatParameter) => {
        const members = [...parsed];
        const [firstKey] = members[0]!;
        // Every member carries the parameter p; the first then carries it twice.
        const withP = new Map(members.map(([name, [value, params]]) => [name, [value, new Map([...params, ['p', 1]])] as Item | InnerList]));
        const repeated = repeatParameter ? serializeDictionary(withP).replace(';p=1', ';p=1;p=2') : `${serializeDictionary(parsed)}, ${firstKey}=1`;
        expect(refusal(repeated)).toMatch(/repeats/);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
