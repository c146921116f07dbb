import { signRequest, type ClientSignRequestInput } from '../../src/client/sign.js';
import type { ClientKey } from '../../src/client/signing-key.js';
import type { Ed25519KeyPair } from '../../src/client/keys.js';
import type { Harness } from './harness.js';

/** Helpers for HMAC-mode tests: issue keys through the admin API and send requests signed with any ClientKey. */

export interface SignedWith {
  method: string;
  path: string;
  key: ClientKey;
  kid: string;
  json?: unknown;
  /** Overrides applied to what is signed. */
  signed?: Partial<Omit<ClientSignRequestInput, 'key' | 'kid'>>;
  /** Replaces the Authorization header's token (after signing), e.g. to tamper with it. */
  mangle?: (token: string) => string;
}

export async function sendWith(h: Harness, call: SignedWith): Promise<Response> {
  const body = call.json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(call.json));
  const signed = await signRequest({ method: call.method, url: h.origin + call.path, ...(body !== undefined ? { body } : {}), key: call.key, kid: call.kid, now: h.clock.now(), ...call.signed });
  const token = call.mangle === undefined ? signed.token : call.mangle(signed.token);
  return fetch(h.baseUrl + call.path, {
    method: call.method,
    headers: { Authorization: `Signet ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

export interface Admin {
  pair: Ed25519KeyPair;
  kid: string;
}

export async function setModes(h: Harness, admin: Admin, consumerId: string, modes: string[]): Promise<void> {
  const response = await h.send({ method: 'PATCH', path: `/admin/v1/consumers/${consumerId}`, json: { allowed_modes: modes }, ...admin });
  if (response.status !== 200) throw new Error(`PATCH modes: ${response.status} ${await response.text()}`);
}

/** A consumer allowing both modes, with one HMAC key issued by the admin API. */
export async function hmacConsumer(h: Harness, admin: Admin, name = 'hmac-client', body: Record<string, unknown> = {}): Promise<{ consumerId: string; kid: string; secret: string }> {
  const created = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name, allowed_modes: ['ed25519', 'hmac'] }, ...admin });
  const consumerId = ((await created.json()) as { id: string }).id;
  const issued = await h.send({ method: 'POST', path: `/admin/v1/consumers/${consumerId}/keys/hmac`, json: body, ...admin });
  if (issued.status !== 201) throw new Error(`issue HMAC key: ${issued.status} ${await issued.text()}`);
  const answer = (await issued.json()) as { key: { id: string }; secret: string };
  return { consumerId, kid: answer.key.id, secret: answer.secret };
}
