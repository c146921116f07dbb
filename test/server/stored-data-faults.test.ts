import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { loadConfig } from '../../src/config.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { createApp, type SignetApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { createStores, openSqlite, type Stores } from '../../src/store/factory.js';
import { T0 } from '../helpers/harness.js';

/**
 * A stored key that cannot be read back is damage on the server's side: the caller gets a 500
 * internal_error (never a 401 blaming its signature) and the operator gets an error log line.
 */
describe('a stored key that our own database returns unreadable', () => {
  const origin = 'https://api.example.test';
  const clock = new ManualClock(T0);
  const lines: string[] = [];
  let dir: string;
  let stores: Stores;
  let signet: SignetApp;
  let http: Server;
  let url: string;
  let raw: Knex;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-stored-faults-'));
    const config = loadConfig({ db: join(dir, 'signet.sqlite'), port: 0, publicOrigin: origin, logLevel: 'error', authFailureLimit: 0 }, {});
    stores = await createStores(config, clock);
    signet = createApp({ config, stores, clock, logger: createLogger('error', { write: (line: string) => void lines.push(line) }) });
    http = createServer(signet.app.callback());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    raw = openSqlite(join(dir, 'signet.sqlite'));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await signet.close();
    await stores.close();
    await raw.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keyStoredAs(publicKeyColumn: string): Promise<{ pair: Ed25519KeyPair; kid: string }> {
    const pair = await generateKeyPair();
    const kid = newKeyId();
    await signet.server.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'damaged' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
      { actor: 'test' },
    );
    await raw('keys').where({ id: kid }).update({ public_key: publicKeyColumn });
    return { pair, kid };
  }

  async function whoami(pair: Ed25519KeyPair, kid: string): Promise<{ status: number; body: { code: string; detail: string } }> {
    const signed = await signRequest({ method: 'GET', url: origin + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now() });
    const response = await fetch(url + '/v1/whoami', { headers: { Authorization: signed.authorization } });
    return { status: response.status, body: (await response.json()) as { code: string; detail: string } };
  }

  it('answers 500 internal_error, not 401, for a stored public key that is not base64url, and logs which key', async () => {
    const { pair, kid } = await keyStoredAs('not base64url!');
    lines.length = 0;
    const answer = await whoami(pair, kid);
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('internal_error');
    expect(answer.body.detail).not.toContain(kid);
    expect(lines.join('\n')).toContain(`unreadable public key of ${kid} in the database`);
  });

  it('answers 500 internal_error, not 401, for a stored public key of the wrong length', async () => {
    const { pair, kid } = await keyStoredAs('AAAA');
    lines.length = 0;
    const answer = await whoami(pair, kid);
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('internal_error');
    expect(lines.join('\n')).toContain(`stored public key of ${kid} does not import`);
  });
});
