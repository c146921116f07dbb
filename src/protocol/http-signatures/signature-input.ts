import { serializeInnerList, type BareItem, type InnerList, type Item } from 'structured-headers';
import { invalidToken } from '../errors.js';
import { KID_PATTERN } from '../format.js';
import { DERIVED_COMPONENTS, MAX_COVERED_COMPONENTS, MAX_SIGNATURE_FIELD_LENGTH, SIGNATURE_PARAMETERS } from './constants.js';
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
  /** Covered component identifiers, in the signer's order. */
  components: string[];
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

function coveredComponents(items: Item[]): string[] {
  if (items.length > MAX_COVERED_COMPONENTS) throw invalidToken(`more than ${MAX_COVERED_COMPONENTS} covered components`);
  const seen = new Set<string>();
  for (const [name, parameters] of items) {
    if (typeof name !== 'string') throw invalidToken('a covered component is not a string');
    // Component parameters (sf, key, bs, req, tr) select other views of a field; Signet needs none.
    if (parameters.size > 0) throw invalidToken(`covered component ${name} has parameters`);
    const known = name.startsWith('@') ? (DERIVED_COMPONENTS as readonly string[]).includes(name) : FIELD_NAME.test(name);
    if (!known) throw invalidToken(`covered component ${name} not supported`);
    if (seen.has(name)) throw invalidToken(`component ${name} covered twice`);
    seen.add(name);
  }
  return [...seen];
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
    components: coveredComponents(input[0]),
    params: signatureParameters(input[1]),
    signatureParams: serializeInnerList(input),
    signature: new Uint8Array(value[0]),
  };
}
