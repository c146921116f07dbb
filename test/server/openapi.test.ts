import type Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Every (METHOD, path) the app's routers serve, from the mounted router middleware itself. */
function mountedRoutes(h: Harness): string[] {
  const routes = new Set<string>();
  for (const middleware of h.signet.app.middleware as Array<{ router?: Router }>) {
    for (const layer of middleware.router?.stack ?? []) {
      const path = String(layer.path)
        .replace(/:([A-Za-z_]+)/g, '{$1}')
        .replace(/(.)\/$/, '$1');
      for (const method of layer.methods) if (method !== 'HEAD') routes.add(`${method} ${path}`);
    }
  }
  return [...routes].sort();
}

describe('the OpenAPI document', () => {
  let h: Harness;
  let document: { openapi: string; paths: Record<string, Record<string, unknown>> };
  beforeAll(async () => {
    h = await startHarness();
    const response = await fetch(h.baseUrl + '/openapi.json');
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(async () => h?.close());

  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every route the app serves, and no route it does not', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const mounted = mountedRoutes(h);
    expect(mounted.length).toBeGreaterThan(15);
    expect(
      mounted.filter((route) => !documented.includes(route)),
      'routes missing from src/server/openapi.ts',
    ).toEqual([]);
    expect(
      documented.filter((route) => !mounted.includes(route)),
      'documented routes that do not exist',
    ).toEqual([]);
  });

  it('declares the admin scope on every admin route and a proof on every key upload', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const operation of Object.values(operations) as Array<{ security: Array<Record<string, string[]>> }>) {
        if (path.startsWith('/admin/')) expect(operation.security, path).toEqual([{ signet: ['admin'] }, { httpMessageSignature: ['admin'] }]);
      }
    }
    for (const path of ['/v1/enroll', '/v1/keys', '/v1/keys/{kid}/rotate']) {
      const post = document.paths[path]!.post as { security: Array<Record<string, unknown>> };
      expect(post.security[0], path).toHaveProperty('signetProof');
    }
  });

  it('describes both request formats as alternative security schemes on every signed route', () => {
    const schemes = (document as unknown as { components: { securitySchemes: Record<string, { name?: string }> } }).components.securitySchemes;
    expect(schemes.httpMessageSignature?.name).toBe('Signature');
    const whoami = document.paths['/v1/whoami']!.get as { security: Array<Record<string, unknown>> };
    expect(whoami.security.map((alternative) => Object.keys(alternative))).toEqual([['signet'], ['httpMessageSignature']]);
  });

  it('describes the usage split by request format on the totals and on every bucket', () => {
    type Schema = { properties: Record<string, Schema>; items: Schema; propertyNames?: { enum: string[] } };
    const usage = (document as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas.Usage!;
    for (const where of [usage.properties.totals!, usage.properties.buckets!.items]) {
      expect(where.properties.by_format?.propertyNames?.enum).toEqual(['jws', 'rfc9421']);
    }
  });
});
