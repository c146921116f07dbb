import { serializeInnerList, type BareItem, type InnerList, type Item } from 'structured-headers';
import { invalidToken } from '../errors.js';
import { KID_PATTERN } from '../format.js';
import { DERIVED_COMPONENTS, DICTIONARY_MEMBER_FIELDS, MAX_COVERED_COMPONENTS, MAX_SIGNATURE_FIELD_LENGTH, SIGNATURE_PARAMETERS } from './constants.js';
import { parseStrictDictionary } from './structured-fields.js';

/** The signature parameters Signet knows; which of them are required is the verifier's policy. */
export interface HttpSignatureParams {
  keyid: string;
  created?: number;
  expires?: number;
  nonce?: string;
  alg?: string;
  tag?: string;
}

export interface ParsedHttpSignature {
  label: string;
  /** Covered component names, in the signer's order; a name appears once (with or without a key). */
  components: string[];
  /**
   * Fields covered as one member of a dictionary (`"signature-agent";key="agent1"`): field name
   * to member key. A name in `components` but not here was covered as the whole field.
   */
  dictionaryKeys: ReadonlyMap<string, string>;
  params: HttpSignatureParams;
  /** The `@signature-params` value: the covered components and parameters, serialised. */
  signatureParams: string;
  signature: Uint8Array;
}

/** A lower-case HTTP field name (RFC 9110 token). */
const FIELD_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0]);
}

/** A Structured Field dictionary key (RFC 9651 section 3.2). */
const DICTIONARY_KEY = /^[a-z*][a-z0-9_.*-]{0,63}$/;

/** The member key of a component covered as a dictionary member, or undefined for the whole field. */
function dictionaryKey(name: string, parameters: Map<string, BareItem>): string | undefined {
  if (parameters.size === 0) return undefined;
  // Component parameters (sf, key, bs, req, tr) select other views of a field; Signet needs only
  // `key`, and only on the fields that are dictionaries by definition.
  const key = parameters.get('key');
  if (parameters.size > 1 || key === undefined || !(DICTIONARY_MEMBER_FIELDS as readonly string[]).includes(name)) {
    throw invalidToken(`covered component ${name} has parameters`);
  }
  if (typeof key !== 'string' || !DICTIONARY_KEY.test(key)) throw invalidToken(`covered component ${name} has a malformed key`);
  return key;
}

/**
 * The covered components, each name once: a field covered both whole and as a member, or as two
 * members, is as ambiguous as a component covered twice (which view did the signer mean?).
 */
function coveredComponents(items: Item[]): Pick<ParsedHttpSignature, 'components' | 'dictionaryKeys'> {
  if (items.length > MAX_COVERED_COMPONENTS) throw invalidToken(`more than ${MAX_COVERED_COMPONENTS} covered components`);
  const seen = new Set<string>();
  const dictionaryKeys = new Map<string, string>();
  for (const [name, parameters] of items) {
    if (typeof name !== 'string') throw invalidToken('a covered component is not a string');
    const known = name.startsWith('@') ? (DERIVED_COMPONENTS as readonly string[]).includes(name) : FIELD_NAME.test(name);
    if (!known) throw invalidToken(`covered component ${name} not supported`);
    if (seen.has(name)) throw invalidToken(`component ${name} covered twice`);
    seen.add(name);
    const key = dictionaryKey(name, parameters);
    if (key !== undefined) dictionaryKeys.set(name, key);
  }
  return { components: [...seen], dictionaryKeys };
}

function integerParam(name: string, value: BareItem): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalidToken(`parameter ${name} is not a non-negative integer`);
  return value;
}

function stringParam(name: string, value: BareItem): string {
  if (typeof value !== 'string') throw invalidToken(`parameter ${name} is not a string`);
  return value;
}

function signatureParameters(parameters: Map<string, BareItem>): HttpSignatureParams {
  const params: Partial<HttpSignatureParams> = {};
  for (const [name, value] of parameters) {
    if (!(SIGNATURE_PARAMETERS as readonly string[]).includes(name)) throw invalidToken(`signature parameter ${name} not allowed`);
    if (name === 'created' || name === 'expires') params[name] = integerParam(name, value);
    else params[name as 'nonce' | 'keyid' | 'alg' | 'tag'] = stringParam(name, value);
  }
  if (params.keyid === undefined || !KID_PATTERN.test(params.keyid)) throw invalidToken('keyid missing or malformed');
  return params as HttpSignatureParams;
}

/**
 * Which label to verify. With a configured label, that one (other labels are left alone: they may
 * belong to someone else's intermediary). Without, the request must carry exactly one signature
 * under one label in both fields; more than one is ambiguous and refused.
 */
function chooseLabel(inputLabels: string[], signatureLabels: string[], configured: string | undefined): string {
  if (configured !== undefined) {
    if (!inputLabels.includes(configured) || !signatureLabels.includes(configured)) throw invalidToken(`label ${configured} absent`);
    return configured;
  }
  if (inputLabels.length !== 1 || signatureLabels.length !== 1) throw invalidToken(`${inputLabels.length} Signature-Input and ${signatureLabels.length} Signature labels: ambiguous`);
  if (inputLabels[0] !== signatureLabels[0]) throw invalidToken('Signature-Input and Signature labels differ');
  return inputLabels[0]!;
}

/**
 * Parses the Signature-Input and Signature fields strictly, before any cryptography, and picks the
 * one signature to verify. Every failure is `invalid_token` with a private reason only.
 */
export function parseHttpSignature(signatureInput: string, signature: string, configuredLabel?: string): ParsedHttpSignature {
  const inputs = parseStrictDictionary('Signature-Input', signatureInput, MAX_SIGNATURE_FIELD_LENGTH);
  const signatures = parseStrictDictionary('Signature', signature, MAX_SIGNATURE_FIELD_LENGTH);
  const label = chooseLabel([...inputs.keys()], [...signatures.keys()], configuredLabel);
  const input = inputs.get(label)!;
  const value = signatures.get(label)!;
  if (!isInnerList(input)) throw invalidToken('Signature-Input member is not an inner list');
  if (isInnerList(value) || !(value[0] instanceof ArrayBuffer)) throw invalidToken('Signature member is not a byte sequence');
  return {
    label,
    ...coveredComponents(input[0]),
    params: signatureParameters(input[1]),
    signatureParams: serializeInnerList(input),
    signature: new Uint8Array(value[0]),
  };
}
