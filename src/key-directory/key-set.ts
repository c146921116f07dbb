import { parseStrictJson, type JsonValue } from '../protocol/strict-json.js';
import { importEd25519PublicKey, jwkThumbprint } from '../protocol/public-key.js';
import { KID_PATTERN } from '../protocol/format.js';

/** One usable key of a directory: its id (the JWK `kid`, else its RFC 7638 thumbprint) and raw bytes. */
export interface DirectoryKey {
  keyid: string;
  publicKey: Uint8Array;
  thumbprint: string;
}

export interface ParsedKeySet {
  keys: DirectoryKey[];
  /** Keys left out and why (wrong curve, small-order point, private material...), for the audit log. */
  refused: string[];
}

/** More keys than a directory needs: a bound on the work one fetch can cause. */
const MAX_DIRECTORY_KEYS = 64;

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JWKS or a Web Bot Auth key directory (the same `{"keys": [...]}` shape). Each key goes through
 * the same checks as an upload (importEd25519PublicKey: Ed25519 only, no private material, no
 * small-order point); a key that fails is left out and named, the others stay usable.
 */
export async function parseKeySet(body: string): Promise<ParsedKeySet> {
  let json: JsonValue;
  try {
    json = parseStrictJson(new TextEncoder().encode(body));
  } catch {
    throw new Error('the directory is not strict JSON');
  }
  if (!isObject(json) || !Array.isArray(json.keys)) throw new Error('the directory has no "keys" array');
  if (json.keys.length > MAX_DIRECTORY_KEYS) throw new Error(`the directory has more than ${MAX_DIRECTORY_KEYS} keys`);
  const keys: DirectoryKey[] = [];
  const refused: string[] = [];
  const seen = new Set<string>();
  for (const [index, jwk] of json.keys.entries()) {
    if (!isObject(jwk)) {
      refused.push(`key ${index}: not an object`);
      continue;
    }
    const { kid, ...rest } = jwk;
    let publicKey: Uint8Array;
    try {
      publicKey = importEd25519PublicKey(rest);
    } catch (error) {
      refused.push(`key ${index}: ${(error as Error).message}`);
      continue;
    }
    const thumbprint = await jwkThumbprint(publicKey);
    const keyid = typeof kid === 'string' ? kid : thumbprint;
    if (!KID_PATTERN.test(keyid) || seen.has(keyid)) {
      refused.push(`key ${index}: kid malformed or repeated`);
      continue;
    }
    seen.add(keyid);
    keys.push({ keyid, publicKey, thumbprint });
  }
  return { keys, refused };
}
