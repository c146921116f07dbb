import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/portal/api.js';
import { niceCeiling } from '../../src/portal/chart.js';
import { keyFileName, kidFromCliConfig, kidFromFileName, newKeyPair } from '../../src/portal/new-key.js';
import { parseHash } from '../../src/portal/route.js';
import { curlSnippet, goSnippet, nodeSnippet, profileName, pythonSnippet } from '../../src/portal/snippets.js';
import { formErrors } from '../../src/portal/ui.js';
import { relativeTime } from '../../src/portal/format.js';
import { humanFieldMessage } from '../../src/portal/field-messages.js';
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

  it('take their key id from the CLI config file when the file name has none (signet admin init)', () => {
    const config = JSON.stringify({
      profiles: {
        admin: { server: 'https://a.test', kid: 'key_7Qx3mJtZ1pUe9LcWbR4sNa', key_file: '/home/x/.config/signet/keys/admin-3f9a1c2b7d4e.pem' },
        acme: { server: 'https://a.test', kid: 'key_AAAAAAAAAAAAAAAAAAAAAA', key_file: 'C:\\keys\\acme.pem' },
      },
    });
    expect(kidFromCliConfig(config, 'admin-3f9a1c2b7d4e.pem')).toBe('key_7Qx3mJtZ1pUe9LcWbR4sNa');
    expect(kidFromCliConfig(config, 'acme.pem')).toBe('key_AAAAAAAAAAAAAAAAAAAAAA');
    expect(kidFromCliConfig(config, 'other.pem')).toBeUndefined();
    expect(kidFromCliConfig(JSON.stringify({ profiles: { admin: { kid: 'key_7Qx3mJtZ1pUe9LcWbR4sNa', key_file: '/k/admin.pem' } } }), undefined)).toBe('key_7Qx3mJtZ1pUe9LcWbR4sNa');
    expect(kidFromCliConfig('not json', 'admin.pem')).toBeUndefined();
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

describe('what the portal says to people', () => {
  it('never shows the schema validator’s wording: field errors and the refusal’s detail become sentences', () => {
    expect(humanFieldMessage('Too small: expected string to have >=1 characters')).toBe('This cannot be empty.');
    expect(humanFieldMessage('Too big: expected string to have <=100 characters')).toBe('Use at most 100 characters.');
    expect(humanFieldMessage('Invalid input: expected string, received undefined')).toBe('This is required.');
    expect(humanFieldMessage('Invalid option: expected one of "free"|"metered"')).toBe('Choose one of: free, metered.');
    expect(humanFieldMessage('Unknown field.')).toBe('This field is not accepted here.');
    expect(humanFieldMessage('Invalid something new')).toBe('This value is not accepted.');
    // The server's own sentences pass unchanged.
    expect(humanFieldMessage('The enrollment code is unknown.')).toBe('The enrollment code is unknown.');

    const refused = ApiError.fromProblem(400, {
      code: 'invalid_request',
      detail: 'The request body is invalid: name: Too small: expected string to have >=1 characters',
      errors: [{ path: 'name', message: 'Too small: expected string to have >=1 characters' }],
    });
    expect(refused.fields).toEqual({ name: 'This cannot be empty.' });
    expect(refused.detail).toBe('Some of what was sent is not accepted. name: This cannot be empty.');
    expect(refused.detail).not.toMatch(/Too small|expected string/);
  });

  it('gives times relative to now, in the largest whole unit', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(relativeTime('2026-12-01T11:57:00Z', now)).toBe('3 minutes ago');
    expect(relativeTime('2026-12-01T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-12-01T12:59:40Z', now)).toBe('in 1 hour');
    expect(relativeTime('2026-12-31T12:00:00Z', now)).toBe('in 30 days');
    expect(relativeTime('2025-12-01T12:00:00Z', now)).toBe('1 year ago');
    expect(relativeTime('not a time', now)).toBe('not a time');
  });
});

describe('the curl snippet', () => {
  const input = { origin: 'https://api.example.test', audience: 'https://api.example.test', kid: 'key_7Qx3mJtZ1pUe9LcWbR4sNa', profile: 'acme' };

  /** Runs the snippet with sh, a curl that only records that it ran, and `signet` as given (or none). */
  function runWith(signet: string | undefined): { status: number | null; stderr: string; curlRan: boolean } {
    const dir = mkdtempSync(join(tmpdir(), 'signet-curl-snippet-'));
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    writeFileSync(join(bin, 'curl'), `#!/bin/sh\ntouch ${join(dir, 'curl-ran')}\n`);
    chmodSync(join(bin, 'curl'), 0o755);
    if (signet !== undefined) {
      writeFileSync(join(bin, 'signet'), `#!/bin/sh\n${signet}\n`);
      chmodSync(join(bin, 'signet'), 0o755);
    }
    writeFileSync(join(dir, 'signet-key_7Qx3mJtZ1pUe9LcWbR4sNa.pem'), 'not a key');
    const result = spawnSync('/bin/sh', ['-c', curlSnippet(input)], { cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr, curlRan: existsSync(join(dir, 'curl-ran')) };
  }

  it('fails loudly without the signet CLI, and never sends a request', () => {
    const run = runWith(undefined);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('signet CLI not found');
    expect(run.curlRan).toBe(false);
  });

  it('stops before curl when signing fails, instead of sending the request unsigned', () => {
    const run = runWith('case "$1" in profile) exit 0;; *) echo "signing refused" >&2; exit 3;; esac');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('signing refused');
    expect(run.curlRan).toBe(false);
  });

  it('says where to install the CLI', () => {
    expect(curlSnippet(input)).toMatch(/npm install && npm link/);
    expect(curlSnippet(input)).toContain('README.md');
  });
});
