import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/portal/api.js';
import { niceCeiling } from '../../src/portal/chart.js';
import { keyFileName, kidFromFileName, newKeyPair } from '../../src/portal/new-key.js';
import { parseHash } from '../../src/portal/route.js';
import { curlSnippet, goSnippet, nodeSnippet, profileName, pythonSnippet } from '../../src/portal/snippets.js';
import { formErrors } from '../../src/portal/ui.js';
import { expiresAtField } from '../../src/portal/views/form-parts.js';
import { hmacSecretFileName } from '../../src/portal/views/hmac-key.js';
import { importPrivateKey } from '../../src/client/keys.js';
import { signRequest } from '../../src/client/sign.js';

describe('the portal’s browser-made keys', () => {
  it('are one key: the downloaded PEM and the kept copy sign alike, and the kept copy cannot be exported', async () => {
    const key = await newKeyPair();
    expect(key.signing.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', key.signing.privateKey)).rejects.toThrow();
    const fromFile = await importPrivateKey(key.pem);
    expect(Buffer.from(fromFile.publicKey)).toEqual(Buffer.from(key.signing.publicKey));
    // Ed25519 signatures are deterministic: the same key signs the same input to the same bytes.
    const input = { method: 'GET', url: 'https://api.example.test/v1/whoami', kid: 'key_x', now: 0, jti: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const a = await signRequest({ ...input, key: { type: 'ed25519', privateKey: key.signing.privateKey } });
    const b = await signRequest({ ...input, key: { type: 'ed25519', privateKey: fromFile.privateKey } });
    expect(a.token).toBe(b.token);
  });

  it('are named after their key id, which a file name gives back', () => {
    expect(keyFileName('key_7Qx3mJtZ1pUe9LcWbR4sNa')).toBe('signet-key_7Qx3mJtZ1pUe9LcWbR4sNa.pem');
    expect(kidFromFileName('signet-key_7Qx3mJtZ1pUe9LcWbR4sNa (1).pem')).toBe('key_7Qx3mJtZ1pUe9LcWbR4sNa');
    expect(kidFromFileName('admin.pem')).toBeUndefined();
  });
});

describe('the portal’s HMAC keys (compatibility mode)', () => {
  it('are saved as signet-<kid>.secret, and a never-expiring one sends no expiry', () => {
    expect(hmacSecretFileName('key_7Qx3mJtZ1pUe9LcWbR4sNa')).toBe('signet-key_7Qx3mJtZ1pUe9LcWbR4sNa.secret');
    expect(expiresAtField('never')).toEqual({});
    const in30 = Date.parse(expiresAtField('in 30 days').expires_at!);
    expect(Math.round((in30 - Date.now()) / 86_400_000)).toBe(30);
  });
});

describe('portal helpers', () => {
  it('reads hash routes with their parameters', () => {
    expect(parseHash('')).toMatchObject({ path: '/' });
    const route = parseHash('#/enroll?code=signet_enroll_abc');
    expect(route.path).toBe('/enroll');
    expect(route.params.get('code')).toBe('signet_enroll_abc');
  });

  it('rounds the chart’s axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 29, 99, 101, 4999].map(niceCeiling)).toEqual([1, 1, 5, 10, 10, 20, 50, 100, 200, 5000]);
  });

  it('puts an API error beside the field it names, or the field its code belongs to, else beside the button', () => {
    const validation = new ApiError(400, 'invalid_request', 'The request body is invalid: name: Too small', { name: 'Too small', colour: 'Unknown field.' }, {});
    expect(formErrors(validation, { fields: ['name', 'plan'] })).toEqual({ fields: { name: 'Too small' }, form: 'colour: Unknown field.' });
    const refused = new ApiError(401, 'invalid_enrollment_code', 'The enrollment code is unknown.', {}, {});
    expect(formErrors(refused, { fields: ['code'], codes: { invalid_enrollment_code: 'code' } })).toEqual({ fields: { code: 'The enrollment code is unknown.' } });
    const other = new ApiError(403, 'consumer_disabled', 'Disabled.', {}, {});
    expect(formErrors(other, { fields: ['code'] })).toEqual({ fields: {}, form: 'Disabled.' });
  });

  it('makes CLI profile names the CLI accepts from any consumer name', () => {
    expect(profileName('Acme Corp')).toBe('Acme-Corp');
    expect(profileName('  ☃ ')).toBe('signet');
    expect(profileName('a'.repeat(100))).toHaveLength(64);
  });

  it('fills every snippet with the origin, the key id and its file, and names the audience only where it differs', () => {
    const input = { origin: 'https://api.example.test', audience: 'https://api.example.test', kid: 'key_7Qx3mJtZ1pUe9LcWbR4sNa', profile: 'acme' };
    for (const snippet of [curlSnippet(input), nodeSnippet(input), pythonSnippet(input), goSnippet(input)]) {
      expect(snippet).toContain(input.origin);
      expect(snippet).toContain(input.kid);
      expect(snippet).toContain('signet-key_7Qx3mJtZ1pUe9LcWbR4sNa.pem');
    }
    expect(nodeSnippet(input)).not.toContain('audience');
    expect(nodeSnippet({ ...input, audience: 'urn:acme' })).toContain("audience: 'urn:acme'");
    expect(pythonSnippet({ ...input, audience: 'urn:acme' })).toContain('AUDIENCE = "urn:acme"');
    expect(goSnippet(input)).not.toContain('Audience');
    expect(goSnippet({ ...input, audience: 'urn:acme' })).toContain('signet.Options{Audience: "urn:acme"}');
    expect(curlSnippet({ ...input, profile: "it's" })).toContain(`--profile 'it'\\''s'`);
  });
});
