import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { loadConfig } from '../../src/config.js';
import { SignetError } from '../../src/protocol/errors.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { signRequest } from '../../src/client/sign.js';
import { KeyCache } from '../../src/server/key-cache.js';
import { createVerifier, type IncomingRequest, type VerifierDeps } from '../../src/server/verifier.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import type { ReplayStore } from '../../src/store/types.js';
import { T0 } from '../helpers/harness.js';
import { claimsFor, craftToken, ed25519Signer, headerFor } from '../helpers/tokens.js';

const ORIGIN = 'https://api.example.test';

describe('createVerifier', () => {
  const clock = new ManualClock(T0);
  const config = loadConfig({ db: ':memory:', publicOrigin: ORIGIN, logLevel: 'silent' }, {});
  let stores: Stores;
  let keys: KeyCache;
  let pair: Ed25519KeyPair;
  let kid: string;
  let hmacKid: string;
  const secret = new Uint8Array(32).fill(42);

  beforeAll(async () => {
    stores = await createStores(config, clock);
    keys = new KeyCache({ store: stores.credentials, clock, size: 100, ttlMs: 30_000, negativeTtlMs: 5_000 });
    pair = await generateKeyPair();
    kid = newKeyId();
    const created = await stores.credentials.createConsumerWithKey(
      // The consumer holds keys of both types, so it must allow both modes.
      { id: newConsumerId(), name: 'c', allowedModes: ['ed25519', 'hmac'] },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: null },
      T0,
    );
    hmacKid = newKeyId();
    await stores.credentials.insertKey({ id: hmacKid, consumerId: created.consumer.id, type: 'hmac', publicKey: null, thumbprint: null }, T0);
  });
  afterAll(async () => stores.close());
  beforeEach(() => clock.set(T0));

  const verifier = (overrides: Partial<VerifierDeps> = {}) => createVerifier({ config, keys, replay: stores.replay, clock, ...overrides });

  async function request(input: { method?: string; path?: string; body?: string; lifetimeSeconds?: number; hmac?: boolean; presign?: boolean } = {}): Promise<IncomingRequest> {
    const method = input.method ?? 'GET';
    const path = input.path ?? '/v1/whoami';
    const signed = await signRequest({
      method,
      url: ORIGIN + path,
      body: input.body,
      key: input.hmac === true ? { type: 'hmac', secret } : { type: 'ed25519', privateKey: pair.privateKey },
      kid: input.hmac === true ? hmacKid : kid,
      now: clock.now(),
      ...(input.lifetimeSeconds !== undefined ? { lifetimeSeconds: input.lifetimeSeconds } : {}),
    });
    if (input.presign === true) {
      const separator = path.includes('?') ? '&' : '?';
      return { method, target: `${path}${separator}signet_token=${signed.token}`, authorization: undefined, body: new Uint8Array(0) };
    }
    return { method, target: path, authorization: signed.authorization, body: new TextEncoder().encode(input.body ?? '') };
  }

  async function refusal(promise: Promise<unknown>): Promise<SignetError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }

  it('returns the consumer, key, mode and claims of a verified request and reports it once', async () => {
    const onVerified = vi.fn();
    const verified = await verifier({ onVerified })(await request());
    expect(verified).toMatchObject({ key: { id: kid }, mode: 'ed25519', presigned: false, claims: { method: 'GET', url: ORIGIN + '/v1/whoami' } });
    expect(onVerified).toHaveBeenCalledOnce();
    expect(onVerified).toHaveBeenCalledWith(verified, T0);
  });

  it('verifies Ed25519 alike on the main thread, on the thread pool and on the pool when busy', async () => {
    for (const verifyOnThreadPool of [false, true, 'when-busy'] as const) {
      const verify = verifier({ config: { ...config, verifyOnThreadPool } });
      expect((await verify(await request())).key.id).toBe(kid);
      const forged = await request();
      const token = forged.authorization!;
      // A character inside the signature, never its last (which must stay canonical base64url).
      const at = token.length - 10;
      const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      const error = await refusal(verify({ ...forged, authorization: tampered }));
      expect([error.code, error.privateDetail]).toEqual(['invalid_token', 'signature does not verify']);
    }
  });

  it('does not report a refused request', async () => {
    const onVerified = vi.fn();
    const req = await request();
    await verifier({ onVerified })({ ...req, method: 'DELETE' }).catch(() => undefined);
    expect(onVerified).not.toHaveBeenCalled();
  });

  it('records the jti until after the last instant the token is still accepted', async () => {
    const expiries: number[] = [];
    const recording: ReplayStore = {
      checkAndSet: async (_kid, _jti, expiresAtMs) => (expiries.push(expiresAtMs), 'fresh'),
      size: () => expiries.length,
    };
    const verify = verifier({ replay: recording });
    const req = await request();
    await verify(req);
    // A replay store forgets the entry at expiresAtMs: from then on, the time check alone must refuse.
    clock.set(expiries[0]! - 1);
    await verify(req);
    clock.set(expiries[0]!);
    const error = await refusal(verify(req));
    expect(error.code).toBe('token_expired');
  });

  it('verifies HS256 for an HMAC key when the secret is available, and never otherwise', async () => {
    const hmacSecret = vi.fn(async () => secret);
    expect((await verifier({ hmacSecret })(await request({ hmac: true }))).mode).toBe('hmac');
    expect((await refusal(verifier()(await request({ hmac: true })))).code).toBe('invalid_token');
    const wrong = vi.fn(async () => new Uint8Array(32).fill(1));
    expect((await refusal(verifier({ hmacSecret: wrong })(await request({ hmac: true })))).code).toBe('invalid_token');
  });

  it('refuses an EdDSA token under an HMAC key id and an HS256 token under an Ed25519 key id', async () => {
    const hmacSecret = async () => secret;
    const ed = await request();
    const edUnderHmac = await signRequest({ method: 'GET', url: ORIGIN + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid: hmacKid, now: T0 });
    expect((await refusal(verifier({ hmacSecret })({ ...ed, authorization: edUnderHmac.authorization }))).code).toBe('invalid_token');
    const hsUnderEd = await signRequest({ method: 'GET', url: ORIGIN + '/v1/whoami', key: { type: 'hmac', secret }, kid, now: T0 });
    expect((await refusal(verifier({ hmacSecret })({ ...ed, authorization: hsUnderEd.authorization }))).code).toBe('invalid_token');
  });

  describe('presigned links', () => {
    it('accepts a GET with the token in signet_token, excluding the parameter from the bound URL, once', async () => {
      const req = await request({ path: '/v1/whoami?format=csv', presign: true, lifetimeSeconds: 300 });
      expect((await verifier()(req)).presigned).toBe(true);
      expect((await refusal(verifier()(req))).code).toBe('token_replayed');
    });

    it('allows up to 300 s whatever the header-token maximum, and no more', async () => {
      const req = await request({ presign: true, lifetimeSeconds: 300 });
      expect((await verifier()(req)).claims.exp - T0 / 1000).toBe(300);
      const claims = claimsFor(ORIGIN, T0);
      const token = await craftToken(headerFor(kid), { ...claims, exp: (claims.iat as number) + 301 }, ed25519Signer(pair.privateKey));
      const tooLong = { method: 'GET', target: `/v1/whoami?signet_token=${token}`, authorization: undefined, body: new Uint8Array(0) };
      expect((await refusal(verifier()(tooLong))).code).toBe('token_lifetime_too_long');
    });

    it('refuses the parameter on any other method', async () => {
      const req = await request({ method: 'POST', path: '/v1/echo', presign: true });
      expect((await refusal(verifier()(req))).code).toBe('missing_token');
    });

    it('prefers the Authorization header when both are present, binding the parameter like any other', async () => {
      const path = '/v1/whoami?signet_token=not-a-token';
      const header = await request({ path });
      const verified = await verifier()({ ...header, target: path });
      expect(verified.presigned).toBe(false);
      expect(verified.claims.url).toBe(ORIGIN + path);
    });
  });
});
