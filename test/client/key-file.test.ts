import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyFilePermissionError, loadPrivateKeyFile, loadPublicKeyFile, saveKeyPair } from '../../src/client/key-file.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { SignetError } from '../../src/protocol/errors.js';

const unixPermissions = process.platform !== 'win32';
const dir = mkdtempSync(join(tmpdir(), 'signet-keyfile-'));
let n = 0;
const fresh = (name: string) => join(dir, `${n++}-${name}`);

describe.skipIf(!unixPermissions)('key files on disk', () => {
  for (const format of ['pem', 'jwk', 'openssh'] as const) {
    it(`saves a ${format} key pair with the private file at mode 0600 and loads it back`, async () => {
      const pair = await generateKeyPair();
      const path = fresh(`key.${format}`);
      const saved = await saveKeyPair(pair, path, { format, comment: 'test' });
      expect(statSync(saved.privatePath).mode & 0o777).toBe(0o600);
      expect(readFileSync(saved.publicPath, 'utf8')).toBe(saved.publicKey);
      expect((await loadPrivateKeyFile(path)).publicKey).toEqual(pair.publicKey);
      expect(await loadPublicKeyFile(saved.publicPath)).toEqual(pair.publicKey);
    });
  }

  it('refuses to overwrite an existing key file unless told to', async () => {
    const path = fresh('key.pem');
    await saveKeyPair(await generateKeyPair(), path);
    const error = await saveKeyPair(await generateKeyPair(), path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('conflict');
    const replacement = await generateKeyPair();
    await saveKeyPair(replacement, path, { overwrite: true });
    expect((await loadPrivateKeyFile(path)).publicKey).toEqual(replacement.publicKey);
  });

  it('sets mode 0600 even when overwriting a file that was world-readable', async () => {
    const path = fresh('key.pem');
    writeFileSync(path, 'old', { mode: 0o644 });
    chmodSync(path, 0o644);
    await saveKeyPair(await generateKeyPair(), path, { overwrite: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  for (const mode of [0o640, 0o604, 0o644]) {
    it(`refuses to load a private key file with mode ${mode.toString(8)}, saying how to fix it`, async () => {
      const path = fresh('key.pem');
      await saveKeyPair(await generateKeyPair(), path);
      chmodSync(path, mode);
      const error = await loadPrivateKeyFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyFilePermissionError);
      expect(error).toBeInstanceOf(SignetError);
      expect((error as KeyFilePermissionError).mode).toBe(mode);
      expect((error as Error).message).toContain(`chmod 600 ${path}`);
    });
  }

  it('loads a too-open key file when the caller opts out of the permission check', async () => {
    const pair = await generateKeyPair();
    const path = fresh('key.pem');
    await saveKeyPair(pair, path);
    chmodSync(path, 0o644);
    expect((await loadPrivateKeyFile(path, { allowInsecurePermissions: true })).publicKey).toEqual(pair.publicKey);
  });

  it('loads private keys that cannot be exported again unless asked', async () => {
    const path = fresh('key.jwk');
    await saveKeyPair(await generateKeyPair(), path, { format: 'jwk' });
    expect((await loadPrivateKeyFile(path)).privateKey.extractable).toBe(false);
    expect((await loadPrivateKeyFile(path, { extractable: true })).privateKey.extractable).toBe(true);
  });

  it('reports a missing key file as a sentence naming the file', async () => {
    const path = join(dir, 'does-not-exist.pem');
    await expect(loadPrivateKeyFile(path)).rejects.toThrow(`Cannot read the key file ${path}.`);
  });
});
