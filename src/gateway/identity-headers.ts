import type { AdmittedRequest } from '../server/rate-limit/admission.js';

/** What the gateway and forward-auth tell the upstream about a verified request. */
export const IDENTITY_HEADERS = ['signet-consumer-id', 'signet-consumer-name', 'signet-key-id', 'signet-scopes', 'signet-mode'] as const;

/** Any incoming header with this prefix is removed before forwarding: clients cannot forge Signet's word. */
export const RESERVED_PREFIX = 'signet-';

/** Header values are latin-1 on the wire: a name outside printable ASCII travels percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** The identity fields appended to a flat [name, value, ...] list (the gateway's upstream request), in IDENTITY_HEADERS order. */
export function pushIdentityHeaders(out: string[], auth: AdmittedRequest): void {
  out.push(
    'signet-consumer-id',
    auth.consumer.id,
    'signet-consumer-name',
    headerSafe(auth.consumer.name),
    'signet-key-id',
    auth.key.id,
    'signet-scopes',
    auth.key.scopes.join(' '),
    'signet-mode',
    auth.mode,
  );
}

export function identityHeaders(auth: AdmittedRequest): Record<(typeof IDENTITY_HEADERS)[number], string> {
  return {
    'signet-consumer-id': auth.consumer.id,
    'signet-consumer-name': headerSafe(auth.consumer.name),
    'signet-key-id': auth.key.id,
    'signet-scopes': auth.key.scopes.join(' '),
    'signet-mode': auth.mode,
  };
}
