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
