import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { disposeCli, runCli } from '../helpers/cli-process.js';
import { authorization, PUBLIC_ORIGIN, send, type Caller } from '../helpers/scale-fixture.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { dropRedisPrefix, redisTestPrefix, seedReplayEpoch, servicesAvailable } from '../helpers/services.js';
import { REDIS_URL } from '../helpers/test-env.js';

afterAll(() => disposeCli());

function children(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('signet serve --workers', () => {
  it('refuses more than one worker without Redis, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-workers-'));
    const result = await runCli(['serve', '--workers', '2', '--port', '0', '--db', join(dir, 'signet.sqlite')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('2 workers need SIGNET_REDIS_URL');
    expect(result.stderr).toContain('a token could be replayed on another worker');
  });

  it('refuses a worker count that is not a number', async () => {
    const result = await runCli(['serve', '--workers', 'many', '--port', '0', '--db', ':memory:']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--workers must be 1 to 1024 or "auto", not "many"');
  });

  const ready = servicesAvailable('the --workers run on Redis', { redis: true });
  describe.skipIf(!ready)('a taken port under --workers', () => {
    it('says the port is in use and how to pick another, not "unexpected failure"', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = String((taken.address() as AddressInfo).port);
      const dir = mkdtempSync(join(tmpdir(), 'signet-workers-port-'));
      const prefix = redisTestPrefix('workers-port');
      try {
        const result = await runCli(['serve', '--workers', '2', '--port', port, '--db', join(dir, 'signet.sqlite')], {
          SIGNET_REDIS_URL: REDIS_URL!,
          SIGNET_REDIS_PREFIX: prefix,
          SIGNET_LOG_LEVEL: 'silent',
          HOME: dir,
        });
        expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('--port');
        expect(result.stderr).not.toContain('unexpected failure');
      } finally {
        await new Promise<void>((resolve) => taken.close(() => resolve()));
        await dropRedisPrefix(REDIS_URL!, prefix);
      }
    }, 60_000);
  });

  describe.skipIf(!ready)('metrics under --workers', () => {
    it("answer every worker's figures at each scrape, labelled by worker", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-workers-metrics-'));
      const metricsPrefix = redisTestPrefix('workers-metrics');
      const pool = await spawnServer({ SIGNET_REDIS_URL: REDIS_URL!, SIGNET_REDIS_PREFIX: metricsPrefix, SIGNET_AUTH_FAILURE_LIMIT: '0', HOME: dir }, [
        '--workers',
        '2',
        '--db',
        join(dir, 'signet.sqlite'),
      ]);
      try {
        // Fresh connections, so the kernel spreads them over both workers.
        for (let i = 0; i < 40; i++) await fetch(pool.url + '/healthz', { headers: { Connection: 'close' } });
        for (let scrape = 0; scrape < 4; scrape++) {
          const text = await (await fetch(pool.url + '/metrics', { headers: { Connection: 'close' } })).text();
          const healthz = text.split('\n').filter((line) => line.startsWith('signet_requests_total{') && line.includes('outcome="ok"'));
          const workersSeen = new Set(healthz.map((line) => /worker="(\d+)"/.exec(line)?.[1]));
          expect(workersSeen).toEqual(new Set(['1', '2']));
          // Every scrape counts all 40 health checks (plus earlier scrapes), whichever worker answers it.
          const total = healthz.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
          expect(total).toBeGreaterThanOrEqual(40 + scrape);
        }
      } finally {
        await pool.stop();
        await dropRedisPrefix(REDIS_URL!, metricsPrefix);
      }
    }, 60_000);
  });

  describe.skipIf(!ready)('on SQLite with Redis', () => {
    let server: ServerProcess | undefined;
    let prefix: string | undefined;
    afterAll(async () => {
      await server?.stop();
      if (prefix !== undefined) await dropRedisPrefix(REDIS_URL!, prefix);
    });

    it('runs two processes on one port that share the replay cache, replaces a worker that dies, and stops cleanly', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-workers-'));
      const file = join(dir, 'signet.sqlite');
      const db = openSqlite(file);
      await migrateToLatest(db);
      const pair = await generateKeyPair();
      const caller: Caller = { kid: newKeyId(), consumerId: newConsumerId(), pair };
      await new KnexCredentialStore(db).createConsumerWithKey(
        { id: caller.consumerId, name: 'workers' },
        { id: caller.kid, consumerId: caller.consumerId, type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
        Date.now(),
      );
      await db.destroy();
      prefix = redisTestPrefix('workers');
      await seedReplayEpoch(REDIS_URL!, prefix);
      server = await spawnServer({ SIGNET_REDIS_URL: REDIS_URL!, SIGNET_REDIS_PREFIX: prefix, SIGNET_PUBLIC_ORIGIN: PUBLIC_ORIGIN, SIGNET_AUTH_FAILURE_LIMIT: '0', HOME: dir }, [
        '--workers',
        '2',
        '--db',
        file,
      ]);
      expect(server.stderr()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ with 2 workers/);
      const workers = children(server.child.pid!);
      expect(workers).toHaveLength(2);

      // Many connections to the one port: every duplicated token is accepted exactly once.
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const token = await authorization(caller, 'GET', '/v1/whoami');
          const answers = await Promise.all([send(server!.url, 'GET', '/v1/whoami', token), send(server!.url, 'GET', '/v1/whoami', token)]);
          return answers
            .map((r) => r.status)
            .sort()
            .join('/');
        }),
      );
      expect(new Set(outcomes)).toEqual(new Set(['200/401']));

      // A worker killed outright is replaced, and the port keeps answering meanwhile.
      process.kill(workers[0]!, 'SIGKILL');
      let replaced: number[] = [];
      for (let i = 0; i < 100; i++) {
        replaced = children(server.child.pid!);
        if (replaced.length === 2 && !replaced.includes(workers[0]!)) break;
        await delay(100);
      }
      expect(replaced).toHaveLength(2);
      expect(replaced).not.toContain(workers[0]);
      expect((await send(server.url, 'GET', '/v1/whoami', await authorization(caller, 'GET', '/v1/whoami'))).status).toBe(200);

      expect(await server.stop()).toBe(0);
      expect(children(server.child.pid!)).toEqual([]);
      expect(server.stderr()).not.toMatch(/\n\s+at /);
    }, 60_000);
  });
});
