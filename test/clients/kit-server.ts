import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPrivateKey, generateKeyPair } from '../../src/client/keys.js';
import { signRequest } from '../../src/client/sign.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import type { NewConsumer } from '../../src/store/types.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A live Signet for the Python and Go kits' suites, and the file describing it (SIGNET_KIT_FIXTURE):
 * the server's origin and, each with a private key file of mode 0600, an Ed25519 key, an HMAC
 * key, a revoked key, and a key whose consumer is always rate-limited.
 */
export interface KitServer {
  server: LiveServer;
  fixturePath: string;
  close(): Promise<void>;
}

export async function startKitServer(): Promise<KitServer> {
  // The kits' tests send refused requests on purpose: the per-address failure limit stays off.
  const server = await startLiveServer({ authFailureLimit: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'signet-kits-'));
  const now = server.clock.now();

  const writeSecret = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  };
  const ed25519 = async (name: string, consumer: Partial<NewConsumer> = {}, scopes: string[] = []) => {
    const pair = await generateKeyPair();
    const kid = newKeyId();
    await server.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name, ...consumer },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), scopes },
      now,
    );
    return { pair, kid, key_file: writeSecret(`${name}.pem`, await exportPrivateKey(pair, 'pem')) };
  };

  const main = await ed25519('kit-user');
  const revoked = await ed25519('kit-revoked');
  await server.stores.credentials.revokeKey(revoked.kid, now);
  const limited = await ed25519('kit-limited', { rateLimitOverrides: [{ name: 'kit_test', limit: 0, window: '1h' }] });
  const admin = await ed25519('kit-admin', {}, ['admin', 'keys']);

  // The HMAC key is issued through the admin API, so its secret is sealed as in production.
  const adminCall = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const signed = await signRequest({ method: 'POST', url: server.url + path, body: bytes, key: { type: 'ed25519', privateKey: admin.pair.privateKey }, kid: admin.kid });
    const response = await fetch(server.url + path, { method: 'POST', body: bytes, headers: { authorization: signed.authorization, 'content-type': 'application/json' } });
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const consumer = await adminCall('/admin/v1/consumers', { name: 'kit-hmac', allowed_modes: ['ed25519', 'hmac'] });
  const issued = await adminCall(`/admin/v1/consumers/${String(consumer.id)}/keys/hmac`, {});

  const fixture = {
    server: server.url,
    ed25519: { kid: main.kid, key_file: main.key_file },
    hmac: { kid: (issued.key as { id: string }).id, key_file: writeSecret('hmac.secret', `${String(issued.secret)}\n`) },
    revoked: { kid: revoked.kid, key_file: revoked.key_file },
    limited: { kid: limited.kid, key_file: limited.key_file },
    // Registered nowhere: the server answers invalid_token.
    unknown_kid: newKeyId(),
  };
  const fixturePath = join(dir, 'fixture.json');
  writeFileSync(fixturePath, JSON.stringify(fixture, null, 2));
  return {
    server,
    fixturePath,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
