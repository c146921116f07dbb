import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built developer portal (dist/portal, written by `npm run build`) as served files. Only plain
 * file names inside that folder are served (no sub-folders, no dot files), so no request path can
 * reach anything else on disk.
 */

/** The security headers of every portal answer (docs/portal.md explains each). */
export const PORTAL_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

export interface PortalAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** What index.html is told about the server: filled into its <meta> placeholders. */
export interface PortalPageValues {
  publicOrigin: string;
  audience: string;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * dist/portal of the package this module belongs to: found by walking up to the package.json, so
 * it is the same folder whether the server runs from src/ (tsx) or from dist/src/.
 */
export function defaultPortalDir(from: string = fileURLToPath(import.meta.url)): string {
  let folder = dirname(from);
  for (;;) {
    if (existsSync(join(folder, 'package.json'))) return join(folder, 'dist', 'portal');
    const parent = dirname(folder);
    if (parent === folder) return join(dirname(from), 'portal');
    folder = parent;
  }
}

export class PortalAssets {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; asset: PortalAsset }>();

  constructor(
    readonly dir: string,
    private readonly page: PortalPageValues,
  ) {}

  /** The asset named `name`, or undefined when there is no such file (or the name is not a plain file name). */
  async get(name: string): Promise<PortalAsset | undefined> {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!SAFE_NAME.test(name) || contentType === undefined) return undefined;
    const path = join(this.dir, name);
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    // Re-read when the file changed (a rebuild while the server runs).
    const cached = this.cache.get(name);
    if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.asset;
    let body = await readFile(path);
    if (name === 'index.html') {
      body = Buffer.from(body.toString('utf8').replace('%SIGNET_PUBLIC_ORIGIN%', escapeAttribute(this.page.publicOrigin)).replace('%SIGNET_AUDIENCE%', escapeAttribute(this.page.audience)));
    }
    const asset = { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    this.cache.set(name, { mtimeMs: info.mtimeMs, size: info.size, asset });
    return asset;
  }
}
