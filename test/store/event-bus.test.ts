import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../src/store/memory-event-bus.js';
import { closeRedis, openRedis, waitForRedis } from '../../src/store/redis-connection.js';
import { RedisEventBus } from '../../src/store/redis-event-bus.js';
import type { InvalidationEvent } from '../../src/store/types.js';
import { redisServerBinary, ThrowawayRedis } from '../helpers/redis-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { redisTestPrefix, servicesAvailable } from '../helpers/services.js';
import { REDIS_URL } from '../helpers/test-env.js';
import { eventBusContract, waitForEvents } from './event-bus.contract.js';
import { suiteRuns } from '../helpers/optional-suites.js';

eventBusContract('memory', async () => {
  const bus = new MemoryEventBus();
  return { a: bus, b: bus, ready: async () => undefined, close: async () => undefined };
});

describe('the memory event bus', () => {
  it('has delivered to every other member by the time publish resolves, and is never deaf', async () => {
    const bus = new MemoryEventBus();
    const heard: InvalidationEvent[] = [];
    const listener = bus.join({ onEvent: (e) => heard.push(e) });
    const publisher = bus.join({ onEvent: () => undefined });
    await publisher.publish({ kind: 'key', id: 'key_1' });
    expect(heard).toEqual([{ kind: 'key', id: 'key_1' }]);
    expect(listener.deaf).toBe(false);
  });
});

/** A bus with its own two connections, as one server instance has. */
function redisBus(url: string, prefix: string, timeoutMs = 1000) {
  const publisher = openRedis({ url, timeoutMs });
  const subscriber = openRedis({ url, timeoutMs, subscriber: true });
  const bus = new RedisEventBus({ publisher, subscriber, prefix });
  return { bus, publisher, subscriber, close: () => Promise.all([closeRedis(publisher), closeRedis(subscriber)]).then(() => undefined) };
}

/** Resolves once a member of `bus` is no longer deaf (the subscription is confirmed). */
async function listening(member: { deaf: boolean }, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts && member.deaf; i++) await delay(10);
}

if (servicesAvailable('the Redis event bus suites', { redis: true })) {
  const url = REDIS_URL!;
  eventBusContract('Redis', async () => {
    const prefix = redisTestPrefix('events');
    const one = redisBus(url, prefix);
    const two = redisBus(url, prefix);
    return {
      a: one.bus,
      b: two.bus,
      ready: async () => {
        const probes = [one.bus.join({ onEvent: () => undefined }), two.bus.join({ onEvent: () => undefined })];
        for (const probe of probes) await listening(probe);
        for (const probe of probes) probe.leave();
      },
      close: async () => {
        await one.close();
        await two.close();
      },
    };
  });

  describe('the Redis event bus', () => {
    it('ignores messages on its channel that are not events, and buses with another prefix hear nothing', async () => {
      const prefix = redisTestPrefix('events-strict');
      const mine = redisBus(url, prefix);
      const other = redisBus(url, redisTestPrefix('events-other'));
      const raw = openRedis({ url, timeoutMs: 1000 });
      try {
        await waitForRedis(raw, 5000);
        const heard: InvalidationEvent[] = [];
        const elsewhere: InvalidationEvent[] = [];
        const member = mine.bus.join({ onEvent: (e) => heard.push(e) });
        const otherMember = other.bus.join({ onEvent: (e) => elsewhere.push(e) });
        await listening(member);
        await listening(otherMember);
        await raw.publish(`${prefix}events`, 'not json');
        await raw.publish(`${prefix}events`, JSON.stringify({ from: 'x', event: { kind: 'key' } }));
        await raw.publish(`${prefix}events`, JSON.stringify({ from: 'x', event: { kind: 'drop-tables', id: 'y' } }));
        await raw.publish(`${prefix}events`, JSON.stringify({ from: 'x', event: { kind: 'key', id: 'key_ok' } }));
        await waitForEvents(heard, 1);
        await delay(50);
        expect(heard).toEqual([{ kind: 'key', id: 'key_ok' }]);
        expect(elsewhere).toEqual([]);
      } finally {
        await closeRedis(raw);
        await mine.close();
        await other.close();
      }
    });
  });
}

const binary = redisServerBinary();
const outageRuns = suiteRuns('the Redis outage test of the event bus', binary === undefined ? 'redis-server is not installed (apt-get install redis-server)' : undefined);
describe.skipIf(!outageRuns)('the Redis event bus through a Redis outage', () => {
  let server: ThrowawayRedis | undefined;
  afterAll(async () => server?.stop());

  it('reports deafness while Redis is down, refuses to publish, and after the restart listens and delivers again', async () => {
    server = await ThrowawayRedis.start(binary!);
    const one = redisBus(server.url, 'outage:', 300);
    const two = redisBus(server.url, 'outage:', 300);
    try {
      const deafness: boolean[] = [];
      const heard: InvalidationEvent[] = [];
      const publisher = one.bus.join({ onEvent: () => undefined });
      const listener = two.bus.join({ onEvent: (e) => heard.push(e), onDeaf: (deaf) => deafness.push(deaf) });
      await listening(publisher);
      await listening(listener);
      expect(listener.deaf).toBe(false);

      await server.stop();
      for (let i = 0; i < 300 && !listener.deaf; i++) await delay(10);
      expect(listener.deaf).toBe(true);
      await expect(publisher.publish({ kind: 'key', id: 'key_lost' })).rejects.toMatchObject({ code: 'service_unavailable' });

      await server.start();
      await listening(listener);
      await listening(publisher);
      expect(listener.deaf).toBe(false);
      expect(deafness.slice(-2)).toEqual([true, false]);
      await publisher.publish({ kind: 'key', id: 'key_after' });
      for (let i = 0; i < 200 && !heard.some((e) => e.kind === 'key'); i++) await delay(10);
      expect(heard).toContainEqual({ kind: 'key', id: 'key_after' });
      expect(heard).not.toContainEqual({ kind: 'key', id: 'key_lost' });
    } finally {
      await one.close();
      await two.close();
    }
  });
});

if (REDIS_URL !== undefined) {
  describe('the Redis event bus when only the publisher loses Redis', () => {
    it('tells every instance to drop everything once it can publish again, since the event it could not send is lost', async () => {
      const target = new URL(REDIS_URL!);
      const proxy = await TcpProxy.start(Number(target.port || 6379), target.hostname);
      const prefix = redisTestPrefix('events-owed');
      const viaProxy = new URL(REDIS_URL!);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      // Instance one publishes through the proxy; instance two listens to Redis directly and stays connected.
      const publisher = openRedis({ url: viaProxy.toString(), timeoutMs: 300 });
      const publisherSubscriber = openRedis({ url: REDIS_URL!, timeoutMs: 300, subscriber: true });
      const one = new RedisEventBus({ publisher, subscriber: publisherSubscriber, prefix });
      const two = redisBus(REDIS_URL!, prefix);
      try {
        const heard: InvalidationEvent[] = [];
        const sender = one.join({ onEvent: () => undefined });
        const listener = two.bus.join({ onEvent: (e) => heard.push(e) });
        await waitForRedis(publisher, 5000);
        await listening(listener);

        proxy.set('refuse');
        for (let i = 0; i < 200 && publisher.status === 'ready'; i++) await delay(10);
        await expect(sender.publish({ kind: 'key', id: 'key_lost' })).rejects.toMatchObject({ code: 'service_unavailable' });
        expect(listener.deaf).toBe(false);

        proxy.set('forward');
        await waitForEvents(heard, 1, 500);
        expect(heard).toEqual([{ kind: 'all' }]);
      } finally {
        await closeRedis(publisher);
        await closeRedis(publisherSubscriber);
        await two.close();
        await proxy.close();
      }
    });
  });
}
