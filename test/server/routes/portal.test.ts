import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPortalDir } from '../../../src/server/portal-assets.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

/** A stand-in for dist/portal: the route serves whatever the build wrote, so these tests need no build. */
function fakePortal(): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-portal-files-'));
  writeFileSync(join(dir, 'index.html'), '<meta name="signet-public-origin" content="%SIGNET_PUBLIC_ORIGIN%"><meta name="signet-audience" content="%SIGNET_AUDIENCE%">');
  writeFileSync(join(dir, 'portal.js'), 'export {};\n');
  writeFileSync(join(dir, 'portal.css'), 'body{}\n');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '.hidden.js'), 'secret');
  writeFileSync(join(dir, 'notes.md'), 'not served');
  return dir;
}

/** A GET with the path sent exactly as written (fetch would normalise "..", which is the point here). */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the portal route', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ portalDir: fakePortal(), audience: 'https://audience.example.test/"<x>' });
  });
  afterAll(async () => h?.close());

  it('serves the page at /portal and /portal/ with the public origin and audience filled in, escaped', async () => {
    for (const path of ['/portal', '/portal/']) {
      const response = await fetch(h.baseUrl + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();
      expect(html).toContain('content="https://api.example.test"');
      expect(html).toContain('content="https://audience.example.test/&quot;&lt;x&gt;"');
    }
  });

  it('sends a strict Content-Security-Policy: own scripts only, no inline code, connections to its own origin only', async () => {
    const response = await fetch(h.baseUrl + '/portal/');
    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({ 'default-src': "'none'", 'script-src': "'self'", 'style-src': "'self'", 'connect-src': "'self'", 'frame-ancestors': "'none'", 'base-uri': "'none'" });
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('serves its files with their content types, and answers 304 to a matching ETag', async () => {
    const types: Record<string, string> = {
      'portal.js': 'text/javascript; charset=utf-8',
      'portal.css': 'text/css; charset=utf-8',
      'favicon.svg': 'image/svg+xml',
    };
    for (const [file, type] of Object.entries(types)) {
      const response = await fetch(`${h.baseUrl}/portal/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toBe(type);
      expect(response.headers.get('content-security-policy'), file).toContain("default-src 'none'");
      const etag = response.headers.get('etag')!;
      const again = await fetch(`${h.baseUrl}/portal/${file}`, { headers: { 'If-None-Match': etag } });
      expect(again.status, file).toBe(304);
    }
  });

  it('serves nothing but plain files of the portal folder: unknown names, dot files, other types and paths outside are 404 problems', async () => {
    for (const path of ['/portal/nope.js', '/portal/.hidden.js', '/portal/notes.md', '/portal/..%2Fpackage.json', '/portal/%2e%2e%2fpackage.json', '/portal/../package.json', '/portal/a/b.js']) {
      const response = await rawGet(h.baseUrl, path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('"name": "signet"');
    }
    const response = await fetch(h.baseUrl + '/portal/nope.js');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('finds the built portal in the package by default, whether it runs from src or from dist', () => {
    const root = join(__dirname, '../../..');
    expect(defaultPortalDir(join(root, 'src/server/portal-assets.ts'))).toBe(join(root, 'dist/portal'));
    expect(defaultPortalDir(join(root, 'dist/src/server/portal-assets.js'))).toBe(join(root, 'dist/portal'));
  });
});

describe('the portal route when the portal is missing or switched off', () => {
  it('says the portal is not built when its folder is empty', async () => {
    const h = await startHarness({ portalDir: mkdtempSync(join(tmpdir(), 'signet-portal-empty-')) });
    try {
      const response = await fetch(h.baseUrl + '/portal/');
      expect(response.status).toBe(404);
      expect((await response.json()).detail).toMatch(/not built.*npm run build/);
    } finally {
      await h.close();
    }
  });

  it('is not mounted with SIGNET_PORTAL=false', async () => {
    const h = await startHarness({ portalDir: fakePortal(), portalEnabled: false });
    try {
      expect((await fetch(h.baseUrl + '/portal/')).status).toBe(404);
      expect((await fetch(h.baseUrl + '/portal/portal.js')).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
