import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { signRequest } from '../../src/client/sign.js';
import { directoryKeyId } from '../../src/protocol/ids.js';
import { startDirectoryServer, type DirectoryServer } from '../helpers/directory-server.js';
import { readAnswer, startHarness, type Harness, type TestConsumer } from '../helpers/harness.js';
import { edKey, sendHttpSigned } from '../helpers/http-signatures.js';

/**
 * Consumers that publish their own keys (a JWKS at a URL) instead of uploading them, against the
 * real app; the directories are served from 127.0.0.1, which the allow-private setting permits.
 * The directory's Cache-Control is max-age=600 and the minimum TTL (also the unknown-kid refresh
 * interval) 60 s, both in the harness's manual time.
 */
describe('consumer key directories', () => {
  let h: Harness;
  let admin: TestConsumer;
  let dirs: DirectoryServer;
  let serial = 0;

  beforeAll(async () => {
    dirs = await startDirectoryServer();
    h = await startHarness({ keyDirectoryAllowPrivate: true, keyDirectoryMinTtlSeconds: 60, keyDirectoryStaleSeconds: 3_600 });
    admin = await h.addAdmin('directory-admin');
  });
  afterAll(async () => {
    await h?.close();
    await dirs?.close();
  });

  const asAdmin = async (method: string, path: string, json?: unknown) => readAnswer(await h.send({ method, path, pair: admin.pair, kid: admin.kid, ...(json !== undefined ? { json } : {}) }));

  /** A consumer without uploaded keys whose directory (served at a path of its own) holds `keys`. */
  async function directoryConsumer(keys: Array<{ kid: string; pair: Ed25519KeyPair }>, scopes: string[] = ['reports:read']) {
    const path = `/jwks/${++serial}.json`;
    dirs.directories.set(path, { keys });
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: `directory consumer ${serial}` });
    expect(created.status).toBe(201);
    const set = await asAdmin('PUT', `/admin/v1/consumers/${created.body.id}/key-directory`, { url: dirs.base + path, scopes });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.key_directory).toEqual({ url: dirs.base + path, scopes });
    return { id: created.body.id as string, path };
  }

  async function jwsWhoami(kid: string, pair: Ed25519KeyPair) {
    const signed = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: edKey(pair), kid, now: h.clock.now() });
    return readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: signed.authorization } }));
  }

  const rfcWhoami = async (kid: string, pair: Ed25519KeyPair) => readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(pair), kid }));

  it('verifies JWS and RFC 9421 requests of a consumer that has only a directory, with its directory scopes', async () => {
    const pair = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'laptop-2026', pair }]);
    const kid = directoryKeyId(consumer.id, 'laptop-2026');
    const jws = await jwsWhoami(kid, pair);
    expect(jws.status, JSON.stringify(jws.body)).toBe(200);
    expect(jws.body).toMatchObject({ consumer_id: consumer.id, key_id: kid, format: 'jws', scopes: ['reports:read'] });
    const rfc = await rfcWhoami(kid, pair);
    expect(rfc.status, JSON.stringify(rfc.body)).toBe(200);
    expect(rfc.body).toMatchObject({ consumer_id: consumer.id, key_id: kid, format: 'rfc9421' });
    const posted = await readAnswer(await sendHttpSigned(h, { method: 'POST', path: '/v1/echo', body: '{"a":1}', key: edKey(pair), kid }));
    expect([posted.status, posted.body.consumer_id]).toEqual([200, consumer.id]);
  });

  it('refuses a directory kid signed by another key, and a kid naming a consumer without that key', async () => {
    const pair = await generateKeyPair();
    const other = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair }]);
    const forged = await jwsWhoami(directoryKeyId(consumer.id, 'k1'), other);
    expect([forged.status, forged.body.code]).toEqual([401, 'invalid_token']);
    const victim = await directoryConsumer([{ kid: 'victim-key', pair: other }]);
    // The attacker's own key, named as if it were in the victim's directory.
    const crossed = await jwsWhoami(directoryKeyId(victim.id, 'k1'), pair);
    expect([crossed.status, crossed.body.code]).toEqual([401, 'invalid_token']);
  });

  it('stops a key removed from the directory once the set is refetched', async () => {
    const pair = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair }]);
    const kid = directoryKeyId(consumer.id, 'k1');
    expect((await jwsWhoami(kid, pair)).status).toBe(200);
    dirs.directories.set(consumer.path, { keys: [] });
    expect((await jwsWhoami(kid, pair)).status, 'still within the set freshness (max-age)').toBe(200);
    h.clock.advance(601_000);
    const refused = await jwsWhoami(kid, pair);
    expect([refused.status, refused.body.code]).toEqual([401, 'invalid_token']);
  });

  it('refreshes the directory once for an unknown kid, and not again within the refresh interval', async () => {
    const first = await generateKeyPair();
    const second = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair: first }]);
    expect((await jwsWhoami(directoryKeyId(consumer.id, 'k1'), first)).status).toBe(200);
    expect(dirs.fetches.get(consumer.path)).toBe(1);
    dirs.directories.set(consumer.path, {
      keys: [
        { kid: 'k1', pair: first },
        { kid: 'k2', pair: second },
      ],
    });
    h.clock.advance(61_000);
    const added = await jwsWhoami(directoryKeyId(consumer.id, 'k2'), second);
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(dirs.fetches.get(consumer.path)).toBe(2);
    for (const unknown of ['k3', 'k4', 'k5']) expect((await jwsWhoami(directoryKeyId(consumer.id, unknown), second)).status).toBe(401);
    expect(dirs.fetches.get(consumer.path), 'unknown kids within the interval fetch nothing').toBe(2);
  });

  it('keeps the last good set while the directory is down, within the stale bound only', async () => {
    const pair = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair }]);
    const kid = directoryKeyId(consumer.id, 'k1');
    expect((await jwsWhoami(kid, pair)).status).toBe(200);
    dirs.directories.set(consumer.path, { keys: [], status: 503 });
    h.clock.advance(601_000);
    expect((await jwsWhoami(kid, pair)).status, 'stale but within the bound').toBe(200);
    expect(dirs.fetches.get(consumer.path)).toBe(2);
    h.clock.advance(3_600_000);
    const refused = await jwsWhoami(kid, pair);
    expect([refused.status, refused.body.code]).toEqual([401, 'invalid_token']);
  });

  it("refuses a disabled consumer's directory keys at once, and a cleared directory's keys at once", async () => {
    const pair = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair }]);
    const kid = directoryKeyId(consumer.id, 'k1');
    expect((await jwsWhoami(kid, pair)).status).toBe(200);
    expect((await asAdmin('POST', `/admin/v1/consumers/${consumer.id}/disable`)).status).toBe(200);
    expect((await jwsWhoami(kid, pair)).status).toBe(401);
    expect((await asAdmin('POST', `/admin/v1/consumers/${consumer.id}/enable`)).status).toBe(200);
    expect((await jwsWhoami(kid, pair)).status).toBe(200);
    const cleared = await asAdmin('DELETE', `/admin/v1/consumers/${consumer.id}/key-directory`);
    expect([cleared.status, cleared.body.key_directory]).toEqual([200, null]);
    expect((await rfcWhoami(kid, pair)).status).toBe(401);
  });

  it('lets a consumer key with the keys scope set and clear its own directory, granting only scopes it holds', async () => {
    const developer = await h.addConsumer('self-publisher', { scopes: ['keys', 'reports:read'] });
    const pair = await generateKeyPair();
    const path = `/jwks/self-${++serial}.json`;
    dirs.directories.set(path, { keys: [{ kid: 'ci', pair }] });
    const put = async (json: unknown) => readAnswer(await h.send({ method: 'PUT', path: '/v1/key-directory', pair: developer.pair, kid: developer.kid, json }));
    const tooMuch = await put({ url: dirs.base + path, scopes: ['admin'] });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([403, 'insufficient_scope']);
    const set = await put({ url: dirs.base + path, scopes: ['reports:read'] });
    expect([set.status, set.body.id, set.body.key_directory]).toEqual([200, developer.record.consumer.id, { url: dirs.base + path, scopes: ['reports:read'] }]);
    const kid = directoryKeyId(developer.record.consumer.id, 'ci');
    expect((await jwsWhoami(kid, pair)).body).toMatchObject({ key_id: kid, scopes: ['reports:read'] });
    const cleared = await readAnswer(await h.send({ method: 'DELETE', path: '/v1/key-directory', pair: developer.pair, kid: developer.kid }));
    expect([cleared.status, cleared.body.key_directory]).toEqual([200, null]);
    expect((await jwsWhoami(kid, pair)).status).toBe(401);
    const noScope = await h.addConsumer('no-keys-scope');
    expect((await h.send({ method: 'PUT', path: '/v1/key-directory', pair: noScope.pair, kid: noScope.kid, json: { url: dirs.base + path } })).status).toBe(403);
  });

  it('writes the registration and every key-set change to the audit log, with key ids and no key material', async () => {
    const first = await generateKeyPair();
    const second = await generateKeyPair();
    const consumer = await directoryConsumer([{ kid: 'k1', pair: first }]);
    const url = dirs.base + consumer.path;
    expect((await jwsWhoami(directoryKeyId(consumer.id, 'k1'), first)).status).toBe(200);
    dirs.directories.set(consumer.path, { keys: [{ kid: 'k2', pair: second }] });
    h.clock.advance(601_000);
    expect((await jwsWhoami(directoryKeyId(consumer.id, 'k2'), second)).status).toBe(200);

    const set = await asAdmin('GET', `/admin/v1/audit?consumer=${consumer.id}&action=key_directory.set`);
    expect(set.body.items).toHaveLength(1);
    expect(set.body.items[0]).toMatchObject({ actor: admin.kid, target: { type: 'consumer', id: consumer.id }, after: { key_directory: { url, scopes: ['reports:read'] } } });
    // Audit writes run beside the request that caused the fetch: wait for both to land.
    await expect.poll(async () => (await asAdmin('GET', `/admin/v1/audit?target=${encodeURIComponent(url)}&action=key_directory.change`)).body.items.length).toBe(2);
    const changes = (await asAdmin('GET', `/admin/v1/audit?target=${encodeURIComponent(url)}&action=key_directory.change`)).body.items;
    expect(changes.map((c: { after: unknown }) => c.after)).toEqual([
      { added: ['k2'], removed: ['k1'], refused: [] },
      { added: ['k1'], removed: [], refused: [] },
    ]);
    const text = JSON.stringify(changes);
    for (const pair of [first, second]) expect(text).not.toContain(Buffer.from(pair.publicKey).toString('base64url'));
  });
});

describe('consumer key directory registration without the allow-private setting', () => {
  let h: Harness;
  let admin: TestConsumer;
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin('strict-admin');
  });
  afterAll(async () => h?.close());

  it('refuses http, private, loopback, link-local and localhost URLs with 400 naming the url field, and accepts a public https one', async () => {
    const consumer = await h.addConsumer('strict-consumer');
    const put = async (url: string) =>
      readAnswer(await h.send({ method: 'PUT', path: `/admin/v1/consumers/${consumer.record.consumer.id}/key-directory`, pair: admin.pair, kid: admin.kid, json: { url } }));
    for (const url of [
      'http://keys.example.com/jwks.json',
      'https://127.0.0.1/jwks',
      'https://10.1.2.3/jwks',
      'https://169.254.169.254/latest',
      'https://[::1]/jwks',
      'https://localhost/jwks',
      'https://user:pw@keys.example.com/',
      'not a url',
    ]) {
      const answer = await put(url);
      expect([answer.status, answer.body.code], url).toEqual([400, 'invalid_request']);
      expect(answer.body.errors[0].path, url).toBe('url');
    }
    const accepted = await put('https://keys.example.com/.well-known/jwks.json');
    expect([accepted.status, accepted.body.key_directory?.url]).toEqual([200, 'https://keys.example.com/.well-known/jwks.json']);
  });
});
