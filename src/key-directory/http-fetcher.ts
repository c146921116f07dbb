import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { cacheControlMaxAge, DirectoryFetchError, type FetchedDirectory, type KeyDirectoryFetcher } from './fetcher.js';

export interface HttpDirectoryFetcherOptions {
  /** Largest body read, in bytes; a larger answer is refused. */
  maxBytes: number;
  /** Longest wait for the whole answer, in milliseconds. */
  timeoutMs: number;
  /**
   * Allow http:// URLs and private, loopback and link-local addresses. Off in production: a
   * directory URL is chosen by a consumer, and must not become a way to reach the operator's
   * internal network (SSRF). Tests turn it on to serve directories from 127.0.0.1.
   */
  allowPrivateNetworks: boolean;
  /** Same-host redirects followed at most (redirects to another host are refused). */
  maxRedirects?: number;
}

/** Addresses a consumer-chosen URL must never reach (RFC 6890 special-purpose ranges and friends). */
function privateRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
}

const PRIVATE = privateRanges();

export function isPrivateAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address reaches the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return isPrivateAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The rules a directory URL must meet before any connection (https, no user info, no private
 * address literal, no `localhost`): the URL, or why it is refused. A registration is checked with
 * this too; names are resolved, and their addresses checked, at every fetch.
 */
export function checkDirectoryUrl(url: string, allowPrivateNetworks: boolean): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  const allowed = allowPrivateNetworks ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(parsed.protocol)) return `scheme ${parsed.protocol} not allowed`;
  if (parsed.username !== '' || parsed.password !== '') return 'user info not allowed';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateNetworks && isIP(host) !== 0 && isPrivateAddress(host)) return `address ${host} not allowed`;
  if (!allowPrivateNetworks && /^(localhost|.*\.localhost)\.?$/i.test(host)) return `host ${host} not allowed`;
  return parsed;
}

/**
 * The one place the SSRF rules live: https only, no private/loopback/link-local address (checked
 * on the address actually connected to, after DNS, so a name that resolves inward is refused too),
 * no redirect to another host, a size limit and a time limit.
 */
export class HttpDirectoryFetcher implements KeyDirectoryFetcher {
  constructor(private readonly options: HttpDirectoryFetcherOptions) {}

  async fetch(url: string): Promise<FetchedDirectory> {
    let target = this.check(url);
    for (let redirects = 0; ; redirects++) {
      const response = await this.get(target);
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        response.resume();
        const location = response.headers.location;
        if (location === undefined || redirects >= (this.options.maxRedirects ?? 2)) throw new DirectoryFetchError(`redirect (${status}) not followed`);
        const next = this.check(new URL(location, target).href);
        if (next.host !== target.host) throw new DirectoryFetchError(`redirect to another host (${next.host}) refused`);
        target = next;
        continue;
      }
      if (status !== 200) {
        response.resume();
        throw new DirectoryFetchError(`status ${status}`);
      }
      const body = await this.read(response);
      return { body, maxAgeSeconds: cacheControlMaxAge(response.headers['cache-control']) };
    }
  }

  private check(url: string): URL {
    const checked = checkDirectoryUrl(url, this.options.allowPrivateNetworks);
    if (typeof checked === 'string') throw new DirectoryFetchError(checked);
    return checked;
  }

  /** DNS resolution whose every answer must be a public address. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = this.options.allowPrivateNetworks ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (refused !== undefined || list.length === 0) {
        return callback(Object.assign(new Error(`address ${refused?.address ?? 'none'} not allowed`), { code: 'EADDRNOTALLOWED' }), '', 0);
      }
      if ((options as { all?: boolean }).all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

  private get(url: URL): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, {
        method: 'GET',
        lookup: this.lookup,
        headers: { accept: 'application/http-message-signatures-directory+json, application/jwk-set+json, application/json' },
        timeout: this.options.timeoutMs,
      });
      const timer = setTimeout(() => request.destroy(new DirectoryFetchError(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      request.on('response', (response) => {
        response.on('close', () => clearTimeout(timer));
        resolve(response);
      });
      request.on('timeout', () => request.destroy(new DirectoryFetchError(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error instanceof DirectoryFetchError ? error : new DirectoryFetchError(error.message));
      });
      request.end();
    });
  }

  private read(response: IncomingMessage): Promise<string> {
    const { maxBytes, timeoutMs } = this.options;
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      response.destroy();
      return Promise.reject(new DirectoryFetchError(`body of ${declared} bytes over the ${maxBytes}-byte limit`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) response.destroy(new DirectoryFetchError(`body over the ${maxBytes}-byte limit`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      // The request's deadline (get) aborts a body that never ends.
      response.on('error', (error) => reject(error instanceof DirectoryFetchError ? error : new DirectoryFetchError(`answer not complete within ${timeoutMs} ms (${error.message})`)));
    });
  }
}
