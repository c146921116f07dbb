import { ConfigError } from '../config.js';

/**
 * The gateway's routes file: one route a line, first match wins, anything unlisted is refused.
 *
 *   # METHOD     PATH            ACCESS                 OPTIONS
 *   GET          /pets           pets:read
 *   POST,PUT     /pets/:id       pets:write
 *   GET          /health         public
 *   *            /files/*        signed                 forward-authorization
 *
 * METHOD is a method, a comma list, or * for any. PATH segments are literal, `:name` (exactly one
 * segment) or a final `*` (one or more segments). ACCESS is `public` (no signature), `signed` (any
 * valid key) or a comma list of scopes the key must all carry. The one OPTION,
 * `forward-authorization`, passes the client's Authorization header on to the upstream.
 */
export interface GatewayRoute {
  line: number;
  methods: readonly string[] | '*';
  pattern: string;
  access: 'public' | { scopes: readonly string[] };
  forwardAuthorization: boolean;
}

export interface RouteTable {
  routes: readonly GatewayRoute[];
  /** The first route matching the method and path (no query), or undefined. */
  match(method: string, path: string): GatewayRoute | undefined;
}

const METHOD = /^[A-Z]+$/;
const SCOPE = /^[\x21-\x7e]+$/;
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+;=@-]+$/;
const OPTIONS = new Set(['forward-authorization']);

/** Every route the gateway serves when it has no routes file: any path, any method, a valid signature. */
export const SIGNED_EVERYWHERE: GatewayRoute = { line: 0, methods: '*', pattern: '/*', access: { scopes: [] }, forwardAuthorization: false };

function parseLine(text: string, line: number, source: string): GatewayRoute {
  const fail = (why: string) => new ConfigError([`${source}:${line}: ${why}: "${text.trim()}"`]);
  const [methodField, pattern, accessField, ...options] = text.trim().split(/\s+/);
  if (methodField === undefined || pattern === undefined || accessField === undefined) throw fail('expected METHOD PATH ACCESS [OPTIONS]');
  const methods = methodField === '*' ? '*' : methodField.split(',');
  if (methods !== '*' && !methods.every((m) => METHOD.test(m))) throw fail(`the method "${methodField}" is not an upper-case method, a comma list of them, or *`);
  if (!pattern.startsWith('/')) throw fail(`the path "${pattern}" must start with /`);
  const segments = pattern === '/' ? [] : pattern.slice(1).split('/');
  segments.forEach((segment, i) => {
    const isLast = i === segments.length - 1;
    if (segment === '*' && isLast) return;
    if (/^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) return;
    if (segment === '' || segment === '.' || segment === '..' || !LITERAL_SEGMENT.test(segment)) {
      throw fail(`the path segment "${segment}" is not a literal, :name or a final *`);
    }
  });
  let access: GatewayRoute['access'];
  if (accessField === 'public') access = 'public';
  else if (accessField === 'signed') access = { scopes: [] };
  else {
    const scopes = accessField.split(',');
    if (!scopes.every((s) => s !== '' && SCOPE.test(s))) throw fail(`the access "${accessField}" is not public, signed or a comma list of scopes`);
    access = { scopes };
  }
  for (const option of options) {
    if (!OPTIONS.has(option)) throw fail(`unknown option "${option}" (known: ${[...OPTIONS].join(', ')})`);
  }
  if (access === 'public' && options.includes('forward-authorization')) throw fail('a public route has no verified Authorization to forward');
  return { line, methods, pattern, access, forwardAuthorization: options.includes('forward-authorization') };
}

/** The segments of a path or pattern: none for "/". */
const segmentsOf = (path: string): string[] => (path === '/' ? [] : path.slice(1).split('/'));

function matches(want: readonly string[], have: readonly string[]): boolean {
  for (let i = 0; i < want.length; i += 1) {
    const segment = want[i]!;
    if (segment === '*') return have.length > i;
    const got = have[i];
    if (got === undefined || got === '') return false;
    if (!segment.startsWith(':') && segment !== got) return false;
  }
  return have.length === want.length;
}

/** The routes with their patterns split once, not on every request; the path is split once per lookup. */
export function routeTable(routes: readonly GatewayRoute[]): RouteTable {
  const patterns = routes.map((r) => segmentsOf(r.pattern));
  return {
    routes,
    match: (method, path) => {
      const have = segmentsOf(path);
      return routes.find((r, i) => (r.methods === '*' || r.methods.includes(method)) && matches(patterns[i]!, have));
    },
  };
}

/** Parses the text of a routes file; a bad line is a ConfigError naming the source and line number. */
export function parseRoutes(text: string, source = 'routes file'): RouteTable {
  const routes: GatewayRoute[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const content = raw.replace(/#.*$/, '');
    if (content.trim() === '') return;
    routes.push(parseLine(content, index + 1, source));
  });
  if (routes.length === 0) throw new ConfigError([`${source}: no routes (every request would be refused)`]);
  return routeTable(routes);
}
