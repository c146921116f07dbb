import { existsSync, readFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importPrivateKey } from '../../src/client/keys.js';
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../src/protocol/public-key.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/rfc8037.json', import.meta.url));
const present = suiteRuns('the RFC 8037 vector tests', existsSync(VECTORS) ? undefined : `${VECTORS} is absent`);

interface Rfc8037 {
  'A.1_privateKeyJwk': { kty: 'OKP'; crv: 'Ed25519'; d: string; x: string };
  'A.2_publicKeyJwk': { kty: 'OKP'; crv: 'Ed25519'; x: string };
  'A.3_thumbprint': { sha256_b64url: string };
  'A.4_sign': { signingInput: string; signatureB64: string; compact: string };
  derived_pem_not_in_rfc: { privatePkcs8: string; publicSpki: string };
}

describe.skipIf(!present)('RFC 8037 Appendix A (Ed25519 in JOSE)', () => {
  const v = (present ? JSON.parse(readFileSync(VECTORS, 'utf8')) : {}) as Rfc8037;

  it('A.1 + A.4: signing the example input with the private key reproduces the published signature byte for byte', async () => {
    const { privateKey } = await importPrivateKey(v['A.1_privateKeyJwk']);
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, new TextEncoder().encode(v['A.4_sign'].signingInput));
    expect(encodeBase64url(new Uint8Array(signature))).toBe(v['A.4_sign'].signatureB64);
    expect(`${v['A.4_sign'].signingInput}.${v['A.4_sign'].signatureB64}`).toBe(v['A.4_sign'].compact);
  });

  it('A.1: the private key loads from PKCS#8 PEM too and signs identically', async () => {
    const { privateKey, publicKey } = await importPrivateKey(v.derived_pem_not_in_rfc.privatePkcs8);
    expect(encodeBase64url(publicKey)).toBe(v['A.2_publicKeyJwk'].x);
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, new TextEncoder().encode(v['A.4_sign'].signingInput));
    expect(encodeBase64url(new Uint8Array(signature))).toBe(v['A.4_sign'].signatureB64);
  });

  it('A.2: the public key imports from its JWK and from its PEM to the same 32 bytes', () => {
    const raw = importEd25519PublicKey(v['A.2_publicKeyJwk']);
    expect(raw).toEqual(decodeBase64url(v['A.2_publicKeyJwk'].x));
    expect(importEd25519PublicKey(v.derived_pem_not_in_rfc.publicSpki)).toEqual(raw);
  });

  it('A.3: the JWK thumbprint matches', async () => {
    expect(await jwkThumbprint(decodeBase64url(v['A.2_publicKeyJwk'].x))).toBe(v['A.3_thumbprint'].sha256_b64url);
  });

  it('A.5: the compact JWS verifies with the imported public key', () => {
    const raw = importEd25519PublicKey(v['A.2_publicKeyJwk']);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(raw) }, format: 'jwk' });
    const [h, p, s] = v['A.4_sign'].compact.split('.') as [string, string, string];
    expect(verify(null, Buffer.from(`${h}.${p}`), key, decodeBase64url(s))).toBe(true);
  });
});
