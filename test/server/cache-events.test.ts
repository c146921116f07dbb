import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { newKeyId } from '../../src/protocol/ids.js';
import { shareKeyCache } from '../../src/server/cache-events.js';
import { DEAF_TTL_MS, KeyCache } from '../../src/server/key-cache.js';
import { silentLogger } from '../../src/server/logger.js';
import { MemoryEventBus } from '../../src/store/memory-event-bus.js';
import type { BusMember, CredentialStore, EventBus, EventSubscriber, InvalidationEvent, KeyWithConsumer } from '../../src/store/types.js';
import { startHarness, T0 } from '../helpers/harness.js';
import { fakeKeyStore, keyRecord } from '../helpers/key-store-fake.js';

function instance(store: CredentialStore, bus: EventBus, clock = new ManualClock(T0)) {
  const keys = new KeyCache({ store, clock, size: 100, ttlMs: 30_000, negativeTtlMs: 5_000 });
  const shared = shareKeyCache(keys, bus, silentLogger());
  return { keys, shared, clock };
}

/** Instances A and B sharing one database (`rows`) and one memory event bus. */
function twoInstances(rows: Map<string, KeyWithConsumer>) {
  const db = fakeKeyStore(rows);
  const bus = new MemoryEventBus();
  return { db, a: instance(db.store, bus), b: instance(db.store, bus) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('key caches joined by an event bus', () => {
  it('a revocation invalidated on instance A is dropped from instance B at once', async () => {
    const kid = newKeyId();
    const rows = new Map([[kid, keyRecord(kid)]]);
    const { a, b } = twoInstances(rows);
    expect((await b.keys.resolve(kid))?.key.revokedAt).toBeNull();
    rows.set(kid, keyRecord(kid, { revokedAt: T0 }));
    a.keys.invalidate(kid);
    await a.shared.settled();
    expect((await b.keys.resolve(kid))?.key.revokedAt).toBe(T0);
  });

  it('disabling a consumer on A drops every key of that consumer on B, and only those', async () => {
    const [k1, k2, other] = [newKeyId(), newKeyId(), newKeyId()];
    const rows = new Map([
      [k1, keyRecord(k1, { consumerId: 'con_x' })],
      [k2, keyRecord(k2, { consumerId: 'con_x' })],
      [other, keyRecord(other, { consumerId: 'con_y' })],
    ]);
    const { db, a, b } = twoInstances(rows);
    for (const kid of [k1, k2, other]) await b.keys.resolve(kid);
    db.reads.length = 0;
    a.keys.invalidateConsumer('con_x');
    for (const kid of [k1, k2, other]) await b.keys.resolve(kid);
    expect(db.reads.sort()).toEqual([k1, k2].sort());
  });

  it('a remote invalidation that arrives while a read is in flight keeps that stale read out of the cache', async () => {
    const kid = newKeyId();
    const rows = new Map([[kid, keyRecord(kid)]]);
    const { db, a, b } = twoInstances(rows);
    // B starts a fill and reads the row before the revocation commits...
    db.holdReads(true);
    const staleFill = b.keys.resolve(kid);
    await tick();
    // ...A revokes, commits and publishes while B's read is still on its way back.
    rows.set(kid, keyRecord(kid, { revokedAt: T0 }));
    a.keys.invalidate(kid);
    db.holdReads(false);
    db.releaseAll();
    expect((await staleFill)?.key.revokedAt).toBeNull(); // the request that started before may finish
    // ...but the stale row was not cached: the next request reads again and sees the revocation.
    expect((await b.keys.resolve(kid))?.key.revokedAt).toBe(T0);
    expect(db.reads).toEqual([kid, kid]);
  });

  it('while the bus is deaf, entries live at most a second; both edges drop everything', async () => {
    const kid = newKeyId();
    const db = fakeKeyStore(new Map([[kid, keyRecord(kid)]]));
    let subscriber: EventSubscriber | undefined;
    const member: BusMember = { deaf: false, publish: async () => undefined, leave: () => undefined };
    const bus: EventBus = { join: (s) => ((subscriber = s), member) };
    const b = instance(db.store, bus);
    await b.keys.resolve(kid);
    subscriber!.onDeaf!(true);
    await b.keys.resolve(kid);
    b.clock.advance(DEAF_TTL_MS - 1);
    await b.keys.resolve(kid);
    expect(db.reads).toHaveLength(2);
    b.clock.advance(1);
    await b.keys.resolve(kid);
    expect(db.reads).toHaveLength(3);
    subscriber!.onDeaf!(false);
    await b.keys.resolve(kid);
    b.clock.advance(20_000);
    await b.keys.resolve(kid);
    expect(db.reads).toHaveLength(4);
  });

  it('a cache that joins a deaf bus starts with short-lived entries', async () => {
    const kid = newKeyId();
    const db = fakeKeyStore(new Map([[kid, keyRecord(kid)]]));
    const bus: EventBus = { join: () => ({ deaf: true, publish: async () => undefined, leave: () => undefined }) };
    const b = instance(db.store, bus);
    await b.keys.resolve(kid);
    b.clock.advance(DEAF_TTL_MS);
    await b.keys.resolve(kid);
    expect(db.reads).toHaveLength(2);
  });

  it('publishes what it invalidates, but not what it was told by others', async () => {
    const published: InvalidationEvent[] = [];
    const bus: EventBus = { join: () => ({ deaf: false, publish: async (e) => void published.push(e), leave: () => undefined }) };
    const db = fakeKeyStore(new Map());
    const b = instance(db.store, bus);
    b.keys.invalidate('key_a');
    b.keys.invalidateConsumer('con_a');
    b.keys.clear();
    b.keys.apply({ kind: 'key', id: 'key_b' });
    await b.shared.settled();
    expect(published).toEqual([{ kind: 'key', id: 'key_a' }, { kind: 'consumer', id: 'con_a' }, { kind: 'all' }]);
  });

  it('a failed publish is logged, not thrown at the change that caused it', async () => {
    const bus: EventBus = { join: () => ({ deaf: false, publish: async () => Promise.reject(new Error('redis down')), leave: () => undefined }) };
    const b = instance(fakeKeyStore(new Map()).store, bus);
    expect(() => b.keys.invalidate('key_a')).not.toThrow();
    expect(b.shared.publishing).toBe(true);
    await b.shared.settled();
    expect(b.shared.publishing).toBe(false);
  });
});

describe('two apps sharing a database and a memory event bus', () => {
  it('a key revoked through app A is refused by app B on the very next request', async () => {
    const a = await startHarness();
    try {
      // App B: the same stores (database and bus), its own key cache, its own socket.
      const { createApp } = await import('../../src/server/app.js');
      const { createServer } = await import('node:http');
      const b = createApp({ config: a.config, stores: a.stores, clock: a.clock, logger: silentLogger() });
      const httpB = createServer(b.app.callback());
      await new Promise<void>((resolve) => httpB.listen(0, '127.0.0.1', resolve));
      const urlB = `http://127.0.0.1:${(httpB.address() as { port: number }).port}`;
      try {
        const admin = await a.addAdmin();
        const user = await a.addConsumer('user');
        const sendB = async () => fetch(urlB + '/v1/whoami', { headers: { Authorization: await a.sign({ method: 'GET', path: '/v1/whoami', pair: user.pair, kid: user.kid }) } });
        expect((await sendB()).status).toBe(200); // B has the key cached now
        const revoked = await a.send({ method: 'POST', path: `/admin/v1/keys/${user.kid}/revoke`, pair: admin.pair, kid: admin.kid, json: {} });
        expect(revoked.status).toBe(200);
        const refused = await sendB();
        expect(refused.status).toBe(401);
        expect((await refused.json()).code).toBe('key_revoked');
      } finally {
        await new Promise<void>((resolve) => httpB.close(() => resolve()));
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});
