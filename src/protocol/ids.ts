/** The alphabet of ids, secrets and codes: letters and digits only, so a double click selects one whole. */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random characters in every id the server issues: 22 base62 characters, about 131 bits. */
const ID_RANDOM_LENGTH = 22;

/** `length` base62 characters from the platform CSPRNG, without modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      // 248 = 4 * 62: values above it would favour the first characters.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export const CONSUMER_ID_PREFIX = 'con_';
export const KEY_ID_PREFIX = 'key_';
export const ENROLLMENT_CODE_ID_PREFIX = 'enc_';

export const newConsumerId = (): string => CONSUMER_ID_PREFIX + randomBase62(ID_RANDOM_LENGTH);
export const newKeyId = (): string => KEY_ID_PREFIX + randomBase62(ID_RANDOM_LENGTH);
/** The id an admin uses to list or cancel an enrollment code; never the code itself. */
export const newEnrollmentCodeId = (): string => ENROLLMENT_CODE_ID_PREFIX + randomBase62(ID_RANDOM_LENGTH);

/** Key ids the server issues. Anything else cannot exist, so it never needs a database read. */
export const ISSUED_KEY_ID_PATTERN = new RegExp(`^${KEY_ID_PREFIX}[0-9A-Za-z]{${ID_RANDOM_LENGTH}}$`);

/** A fresh `jti`: 16 random bytes (128 bits) as 22 base64url characters. */
export function newJti(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The kid (JWS) or keyid (RFC 9421) of a key a consumer publishes in its own key directory:
 * `<consumer id>_<the key's kid in the directory>`, e.g. `con_4Vb...Q2_2026-laptop`. It names the
 * consumer, so Signet knows whose directory to read, and it cannot collide with an uploaded key:
 * those are `key_` ids, these start with `con_` and a consumer id of fixed length (22 base62
 * characters, which hold no `_`), so the first `_` after it is the only split. It stays within the
 * protocol's kid alphabet (A-Z a-z 0-9 _ -, at most 128), so every client kit can send it as is;
 * the directory's own kid is therefore at most 101 characters (an RFC 7638 thumbprint is 43).
 */
export const DIRECTORY_KEY_ID_PATTERN = new RegExp(`^(${CONSUMER_ID_PREFIX}[0-9A-Za-z]{${ID_RANDOM_LENGTH}})_([A-Za-z0-9_-]{1,101})$`);

/** The kid that addresses key `directoryKid` of `consumerId`'s key directory. */
export const directoryKeyId = (consumerId: string, directoryKid: string): string => `${consumerId}_${directoryKid}`;

/** The consumer and the directory's own kid named by a directory key id; undefined for any other id. */
export function parseDirectoryKeyId(kid: string): { consumerId: string; directoryKid: string } | undefined {
  const match = DIRECTORY_KEY_ID_PATTERN.exec(kid);
  return match === null ? undefined : { consumerId: match[1]!, directoryKid: match[2]! };
}
