import { isInnerList, parseItem, Token } from 'structured-headers';
import { invalidToken } from '../errors.js';
import { SIGNATURE_AGENT_HEADER } from './constants.js';
import type { ParsedHttpSignature } from './signature-input.js';
import { parseStrictDictionary } from './structured-fields.js';

/** Room for several agents' URLs; checked before parsing. */
export const MAX_SIGNATURE_AGENT_LENGTH = 2048;

/**
 * The one discovery type Signet follows: the agent's well-known key directory, which a member
 * without `type` means too. A `jwks_uri` or `cimd` member points elsewhere and is refused.
 */
const DIRECTORY_TYPE = 'directory';

/** Earlier drafts: the whole field is one sf-string. */
function stringForm(field: string): string {
  let value: unknown;
  try {
    value = parseItem(field)[0];
  } catch {
    throw invalidToken('Signature-Agent is not a structured string');
  }
  if (typeof value !== 'string') throw invalidToken('Signature-Agent is not a structured string');
  return value;
}

/** Current drafts: a dictionary; the member the signature names must be an sf-string URL. */
function memberForm(field: string, key: string): string {
  const member = parseStrictDictionary('Signature-Agent', field, MAX_SIGNATURE_AGENT_LENGTH).get(key);
  if (member === undefined) throw invalidToken(`Signature-Agent has no member ${key}`);
  if (isInnerList(member) || typeof member[0] !== 'string') throw invalidToken(`Signature-Agent member ${key} is not a string`);
  for (const [name, value] of member[1]) {
    if (name !== 'type' || !(value instanceof Token) || value.toString() !== DIRECTORY_TYPE) throw invalidToken(`Signature-Agent member ${key} has parameter ${name}`);
  }
  return member[0];
}

/**
 * The agent URL of a Signature-Agent field, read in the form the signature covers:
 * - `"signature-agent";key="agent1"` (current Web Bot Auth drafts): the field is a dictionary and
 *   its member `agent1` a string, other members (other signers' agents) are left alone;
 * - `"signature-agent"` (earlier drafts): the field is one string;
 * - not covered: a string, or a dictionary of exactly one member, so that the verifier can still
 *   explain after the signature verified that it must cover signature-agent.
 * A form other than the one covered, a missing member or one of another type is ambiguous:
 * `invalid_token`, before any cryptography.
 */
export function signatureAgentUrl(field: string, parsed: Pick<ParsedHttpSignature, 'components' | 'dictionaryKeys'>): string {
  if (field.length > MAX_SIGNATURE_AGENT_LENGTH) throw invalidToken(`Signature-Agent longer than ${MAX_SIGNATURE_AGENT_LENGTH}`);
  const key = parsed.dictionaryKeys.get(SIGNATURE_AGENT_HEADER);
  if (key !== undefined) return memberForm(field, key);
  if (parsed.components.includes(SIGNATURE_AGENT_HEADER)) return stringForm(field);
  try {
    return stringForm(field);
  } catch {
    const keys = [...parseStrictDictionary('Signature-Agent', field, MAX_SIGNATURE_AGENT_LENGTH).keys()];
    if (keys.length !== 1) throw invalidToken('Signature-Agent names several agents and the signature covers none');
    return memberForm(field, keys[0]!);
  }
}
