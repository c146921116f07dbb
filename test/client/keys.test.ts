import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOpenSshPrivateKey, encodeOpenSshPrivateKey } from '../../src/client/openssh-private-key.js';
import { exportPrivateKey, exportPublicKey, generateKeyPair, importPrivateKey } from '../../src/client/keys.js';
import { decodeBase64, encodeBase64 } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { importEd25519PublicKey } from '../../src/protocol/public-key.js';
import { missingCommand, suiteRuns } from '../helpers/optional-suites.js';

async function signs(pair: { privateKey: CryptoKey; publicKey: Uint8Array }): Promise<boolean> {
  const message = new TextEncoder().encode('signet');
  const signature = await crypto.subtle.sign('Ed25519', pair.privateKey, message);
  const publicKey = await crypto.subtle.importKey('raw', pair.publicKey as Uint8Array<ArrayBuffer>, 'Ed25519', false, ['verify']);
  return crypto.subtle.verify('Ed25519', publicKey, signature, message);
}

/** Rewrites the base64 body of an OpenSSH private key through `edit`. */
function tamper(text: string, edit: (bytes: Uint8Array) => void): string {
  const body = text.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const bytes = decodeBase64(body)!;
  edit(bytes);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${encodeBase64(bytes)}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

const hasSshKeygen = suiteRuns('the OpenSSH interoperability tests', missingCommand(['ssh-keygen'], 'apt-get install openssh-client'));

describe('private key formats', () => {
  for (const format of ['pem', 'jwk', 'openssh'] as const) {
    it(`round-trips a private key through ${format} to a key that still signs for the same public key`, async () => {
      const pair = await generateKeyPair();
      const text = await exportPrivateKey(pair, format, { comment: 'me@laptop' });
      const loaded = await importPrivateKey(text);
      expect(loaded.publicKey).toEqual(pair.publicKey);
      expect(await signs(loaded)).toBe(true);
    });
  }

  it('writes OpenSSH private keys with the armour, comment and 8-byte padding ssh-keygen uses', async () => {
    const pair = await generateKeyPair();
    const text = await exportPrivateKey(pair, 'openssh', { comment: 'ci key' });
    expect(text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/);
    const decoded = decodeOpenSshPrivateKey(text);
    expect(decoded.comment).toBe('ci key');
    expect(decoded.publicKey).toEqual(pair.publicKey);
  });

  it('refuses a passphrase-protected OpenSSH key with advice on how to remove the passphrase', async () => {
    const pair = await generateKeyPair();
    const text = await exportPrivateKey(pair, 'openssh');
    // Replace cipher "none" (offset 15 + 4) by "aes0" of the same length, as an encrypted key would name one.
    const encrypted = tamper(text, (bytes) => bytes.set(new TextEncoder().encode('aes0'), 19));
    await expect(importPrivateKey(encrypted)).rejects.toThrow(/passphrase.*ssh-keygen -p/);
  });

  it('refuses an OpenSSH key whose check numbers differ', async () => {
    const pair = await generateKeyPair();
    const text = await exportPrivateKey(pair, 'openssh');
    const sectionStart = 15 + 8 + 8 + 4 + 4 + 4 + 51 + 4; // magic, "none" x2, kdf options, count, public blob, section length
    expect(() => decodeOpenSshPrivateKey(tamper(text, (bytes) => (bytes[sectionStart] = bytes[sectionStart]! ^ 1)))).toThrow(/check numbers differ/);
  });

  it('refuses an OpenSSH key whose public half does not belong to its private half', async () => {
    const [a, b] = [await generateKeyPair(), await generateKeyPair()];
    const seedA = decodeOpenSshPrivateKey(await exportPrivateKey(a, 'openssh')).seed;
    const forged = encodeOpenSshPrivateKey({ seed: seedA, publicKey: b.publicKey, comment: '' });
    await expect(importPrivateKey(forged)).rejects.toThrow(/does not belong/);
  });

  it('refuses a JWK whose "x" is not the public key of its "d"', async () => {
    const [a, b] = [await generateKeyPair(), await generateKeyPair()];
    const jwkA = JSON.parse(await exportPrivateKey(a, 'jwk')) as { d: string };
    const jwkB = JSON.parse(await exportPrivateKey(b, 'jwk')) as { x: string };
    const error = await importPrivateKey({ kty: 'OKP', crv: 'Ed25519', x: jwkB.x, d: jwkA.d }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('invalid_request');
  });

  it('refuses text that is no private key, naming the accepted formats', async () => {
    await expect(importPrivateKey('ssh-ed25519 AAAA')).rejects.toThrow(/JWK, a PEM "PRIVATE KEY" block or an OpenSSH private key/);
  });

  it('exports the public key in every upload format, each accepted by the server-side importer', async () => {
    const pair = await generateKeyPair();
    for (const format of ['pem', 'jwk', 'openssh'] as const) {
      expect(importEd25519PublicKey(exportPublicKey(pair.publicKey, format, 'c'))).toEqual(pair.publicKey);
    }
  });

  it('keeps a generated key non-extractable when asked, so it can sign but not be exported', async () => {
    const pair = await generateKeyPair({ extractable: false });
    expect(await signs(pair)).toBe(true);
    await expect(exportPrivateKey(pair, 'pem')).rejects.toThrow();
  });
});

describe.skipIf(!hasSshKeygen)('OpenSSH interoperability (ssh-keygen)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-ssh-'));

  it('loads a private key made by ssh-keygen -t ed25519 -N ""', async () => {
    const file = join(dir, 'id_ed25519');
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'made by ssh-keygen', '-f', file]);
    expect(made.status).toBe(0);
    const pair = await importPrivateKey(readFileSync(file, 'utf8'));
    expect(importEd25519PublicKey(readFileSync(`${file}.pub`, 'utf8'))).toEqual(pair.publicKey);
    expect(await signs(pair)).toBe(true);
  });

  it('writes a private key that ssh-keygen -y reads back to the same public key', async () => {
    const pair = await generateKeyPair();
    const file = join(dir, 'signet_ed25519');
    writeFileSync(file, await exportPrivateKey(pair, 'openssh', { comment: 'signet' }), { mode: 0o600 });
    const derived = spawnSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' });
    expect(derived.status).toBe(0);
    expect(importEd25519PublicKey(derived.stdout)).toEqual(pair.publicKey);
  });
});
