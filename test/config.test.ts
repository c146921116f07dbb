import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('documents every SIGNET_ variable it reads in docs/configuration.md', () => {
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
    const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const variables = new Set(source.match(/SIGNET_[A-Z_]+/g));
    expect(variables.size).toBeGreaterThan(10);
    for (const variable of variables) expect(doc, `${variable} is not documented`).toContain('`' + variable + '`');
  });

  it('gives safe defaults: loopback, 60 s tokens, migrations on, public origin from the port', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, maxTokenLifetimeSeconds: 60, migrateOnStart: true, publicOrigin: 'http://localhost:3000', audience: 'http://localhost:3000' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('canonicalises the public origin and derives the audience from it', () => {
    const config = loadConfig({}, { SIGNET_PUBLIC_ORIGIN: 'HTTPS://API.Example.com:443' });
    expect(config.publicOrigin).toBe('https://api.example.com');
    expect(config.audience).toBe('https://api.example.com');
  });

  it('refuses a token lifetime above 300 seconds with a sentence naming the variable', () => {
    expect(() => loadConfig({}, { SIGNET_MAX_TOKEN_LIFETIME: '301' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { SIGNET_MAX_TOKEN_LIFETIME: '301' })).toThrow(/SIGNET_MAX_TOKEN_LIFETIME/);
  });

  it('refuses a public origin with a path', () => {
    expect(() => loadConfig({}, { SIGNET_PUBLIC_ORIGIN: 'https://api.example.com/v1' })).toThrow(/must be an http\(s\) origin/);
  });

  it('lets explicit overrides win over the environment', () => {
    expect(loadConfig({ port: 4000 }, { SIGNET_PORT: '5000' }).port).toBe(4000);
  });
});

describe('loadConfig: scale-out settings', () => {
  const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

  it('defaults to SQLite, memory state and one worker', () => {
    expect(loadConfig({}, {})).toMatchObject({ databaseUrl: undefined, redisUrl: undefined, redisPrefix: 'signet:', workers: 1, databasePoolMax: 10, redisTimeoutMs: 1000 });
  });

  it('accepts PostgreSQL and Redis URLs and a worker count', () => {
    const config = loadConfig({}, { SIGNET_DATABASE_URL: 'postgresql://u:p@db:5432/signet', SIGNET_REDIS_URL: 'rediss://:p@cache:6380/2', SIGNET_WORKERS: '4', SIGNET_MASTER_KEY: KEY });
    expect(config).toMatchObject({ databaseUrl: 'postgresql://u:p@db:5432/signet', redisUrl: 'rediss://:p@cache:6380/2', workers: 4 });
  });

  it('refuses an unknown database or Redis scheme with a sentence naming the variable', () => {
    expect(() => loadConfig({}, { SIGNET_DATABASE_URL: 'mysql://u@db/signet', SIGNET_MASTER_KEY: KEY })).toThrow(/SIGNET_DATABASE_URL: unsupported database "mysql:"/);
    expect(() => loadConfig({}, { SIGNET_DATABASE_URL: 'not a url', SIGNET_MASTER_KEY: KEY })).toThrow(/SIGNET_DATABASE_URL: unsupported database "not a URL"/);
    expect(() => loadConfig({}, { SIGNET_REDIS_URL: 'memcached://cache:11211' })).toThrow(/SIGNET_REDIS_URL: unsupported scheme "memcached:"/);
  });

  it('refuses several workers without Redis, and several workers on an in-memory database', () => {
    expect(() => loadConfig({ workers: 2 }, {})).toThrow(/2 workers need SIGNET_REDIS_URL/);
    expect(() => loadConfig({ workers: 2, db: ':memory:' }, { SIGNET_REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/cannot share an in-memory SQLite database/);
    expect(loadConfig({ workers: 2 }, { SIGNET_REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBe(2);
  });

  it('verifies on the thread pool while busy when the process may use several CPUs, unless told', async () => {
    const { availableParallelism } = await import('node:os');
    expect(loadConfig({}, {}).verifyOnThreadPool).toBe(availableParallelism() > 1 ? 'when-busy' : false);
    expect(loadConfig({}, { SIGNET_VERIFY_THREAD_POOL: 'false' }).verifyOnThreadPool).toBe(false);
    expect(loadConfig({}, { SIGNET_VERIFY_THREAD_POOL: 'true' }).verifyOnThreadPool).toBe(true);
    expect(() => loadConfig({}, { SIGNET_VERIFY_THREAD_POOL: 'sometimes' })).toThrow(/SIGNET_VERIFY_THREAD_POOL/);
  });

  it('counts the cores for SIGNET_WORKERS=auto', () => {
    expect(loadConfig({}, { SIGNET_WORKERS: 'auto', SIGNET_REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBeGreaterThanOrEqual(1);
  });

  it('refuses PostgreSQL without a configured master key (the development key file is per machine)', () => {
    expect(() => loadConfig({}, { SIGNET_DATABASE_URL: 'postgres://u@db/signet' })).toThrow(/SIGNET_DATABASE_URL needs SIGNET_MASTER_KEY or SIGNET_MASTER_KEY_FILE/);
  });
});
