import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importPrivateKey } from '../../src/client/keys.js';
import { importEd25519PublicKey, publicKeyToJwk, publicKeyToOpenSsh, publicKeyToPem } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const example = doc.slice(doc.indexOf('## 8. Worked example'), doc.indexOf('## 9.'));
const blocks = [...example.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('the worked example in docs/protocol.md', () => {
  it('uses the private key derived from the documented seed text', async () => {
    const pem = blocks[0]!;
    const seed = createHash('sha256').update('signet worked example').digest();
    const pkcs8 = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(pkcs8.subarray(-32).equals(seed)).toBe(true);
  });

  it('shows the same public key in PEM, JWK and OpenSSH form', async () => {
    const pair = await importPrivateKey(blocks[0]!);
    const [pem, jwk, ssh] = [blocks[1]!.split('-----END PUBLIC KEY-----')[0] + '-----END PUBLIC KEY-----\n', ...blocks[1]!.split('-----END PUBLIC KEY-----\n')[1]!.trim().split('\n')];
    expect(publicKeyToPem(pair.publicKey)).toBe(pem);
    expect(JSON.stringify(publicKeyToJwk(pair.publicKey))).toBe(jwk);
    expect(publicKeyToOpenSsh(pair.publicKey)).toBe(ssh);
    for (const form of [pem, jwk, ssh]) expect(importEd25519PublicKey(form!)).toEqual(pair.publicKey);
  });

  it('reproduces the documented header, payload and token byte for byte', async () => {
    const pair = await importPrivateKey(blocks[0]!);
    const signed = await signRequest({
      method: 'POST',
      url: 'https://api.example.com/v1/echo?lang=en',
      body: '{"hello":"world"}',
      key: { type: 'ed25519', privateKey: pair.privateKey },
      kid: 'key_7Qx3mJtZ1pUe9LcWbR4sNa',
      now: Date.UTC(2026, 0, 1),
      jti: 'k5Jd0n2y8cQwZq3VhT1rLg',
    });
    const [header, payload] = signed.token.split('.').map((s) => Buffer.from(s, 'base64url').toString());
    expect(header).toBe(blocks[2]!.trim());
    expect(payload).toBe(blocks[3]!.trim());
    expect(signed.token).toBe(blocks[4]!.trim());
  });
});
