import { isInnerList, serializeInnerList, serializeItem } from 'structured-headers';
import { invalidToken } from '../errors.js';
import { canonicalizeUrl } from '../target.js';
import { MAX_SIGNATURE_FIELD_LENGTH } from './constants.js';
import { parseStrictDictionary } from './structured-fields.js';

/** What a signature base is built from: the request as the verifier (or signer) sees it. */
export interface SignedMessage {
  method: string;
  /**
   * The absolute target URI in Signet's canonical form. The verifier builds it from its configured
   * public origin and the request target, never from the Host header.
   */
  targetUri: string;
  /** A field's value (lines combined with ", "), or undefined when the request lacks it. */
  header(name: string): string | undefined;
}

function derivedComponent(name: string, method: string, url: { origin: string; target: string; href: string }): string {
  switch (name) {
    case '@method':
      return method;
    case '@target-uri':
      return url.href;
    case '@scheme':
      return url.origin.slice(0, url.origin.indexOf(':'));
    case '@authority':
      return url.origin.slice(url.origin.indexOf('://') + 3);
    case '@request-target':
      return url.target;
    case '@path': {
      const q = url.target.indexOf('?');
      return q < 0 ? url.target : url.target.slice(0, q);
    }
    case '@query': {
      // RFC 9421 section 2.2.7: the query with its "?", or "?" alone when there is none.
      const q = url.target.indexOf('?');
      return q < 0 ? '?' : url.target.slice(q);
    }
    default:
      throw invalidToken(`derived component ${name} not supported`);
  }
}

/**
 * One member of a dictionary field, re-serialised (RFC 9421 section 2.1.2), parsed strictly: a
 * field that is no dictionary, or repeats the key, or lacks the member, cannot be verified.
 */
function dictionaryMember(name: string, field: string, key: string): string {
  const member = parseStrictDictionary(name, field, MAX_SIGNATURE_FIELD_LENGTH).get(key);
  if (member === undefined) throw invalidToken(`covered field ${name} has no member ${key}`);
  return isInnerList(member) ? serializeInnerList(member) : serializeItem(member);
}

/**
 * The RFC 9421 signature base (section 2.5): one line per covered component, then
 * `@signature-params`. A covered field the request lacks cannot be signed or verified:
 * `invalid_token`. Components come from parseHttpSignature, already checked and lower case;
 * `dictionaryKeys` names the fields covered as one dictionary member (`"signature-agent";key="a"`).
 */
export function signatureBase(components: readonly string[], signatureParams: string, message: SignedMessage, dictionaryKeys?: ReadonlyMap<string, string>): string {
  const url = canonicalizeUrl(message.targetUri);
  if (url === undefined) throw invalidToken('target URI is not an absolute http(s) URL');
  let base = '';
  for (const name of components) {
    const key = dictionaryKeys?.get(name);
    let value: string | undefined;
    if (name.startsWith('@')) value = derivedComponent(name, message.method, url);
    else value = message.header(name)?.trim();
    if (value === undefined) throw invalidToken(`covered field ${name} absent`);
    if (key !== undefined) value = dictionaryMember(name, value, key);
    base += `${key === undefined ? `"${name}"` : serializeItem([name, new Map([['key', key]])])}: ${value}\n`;
  }
  return `${base}"@signature-params": ${signatureParams}`;
}
