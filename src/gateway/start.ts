import { readFileSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError, type Config } from '../config.js';
import { createSignet, type Signet } from '../embed/create-signet.js';
import { createDrainingServer, type DrainingServer } from '../server/draining-http.js';
import type { Logger } from '../server/logger.js';
import { createForwardAuth } from './forward-auth.js';
import { createGateway } from './gateway.js';
import { parseRoutes, routeTable, SIGNED_EVERYWHERE, type RouteTable } from './routes-file.js';

export interface RunningGateway {
  /** Where the gateway proxies (the port clients call). */
  url: string;
  /** Where Signet's own app answers: admin and self-service API, portal, /metrics, /healthz. */
  adminUrl: string;
  signet: Signet;
  routes: RouteTable;
  close(): Promise<void>;
}

/** The routes file named by SIGNET_GATEWAY_ROUTES, or one route: every path needs a valid signature. */
function loadRoutes(file: string | undefined): RouteTable {
  if (file === undefined) return routeTable([SIGNED_EVERYWHERE]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([`SIGNET_GATEWAY_ROUTES: cannot read the routes file "${file}"`]);
  }
  return parseRoutes(text, file);
}

function upstreamUrl(text: string | undefined): URL {
  if (text === undefined) throw new ConfigError(['SIGNET_GATEWAY_UPSTREAM (or --upstream) is required: the URL of the API to protect']);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError([`SIGNET_GATEWAY_UPSTREAM: "${text}" is not a URL`]);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new ConfigError([`SIGNET_GATEWAY_UPSTREAM: "${text}" must be an http(s) URL without query, fragment or credentials`]);
  }
  return url;
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    });
  });
}

/**
 * The same server `signet serve` runs: header and request timeouts checked every second, and on
 * close a drain (idle and half-sent connections closed at once, requests in flight answered with
 * Connection: close, the rest cut after SIGNET_SHUTDOWN_GRACE_MS).
 */
function drainingServer(listener: RequestListener, config: Readonly<Config>, clock: Clock): DrainingServer {
  return createDrainingServer(listener, { now: () => clock.now(), headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs });
}

/** Listens with the front server (proxy or check endpoint) and Signet's own app; on failure closes everything opened. */
async function listenBoth(
  front: DrainingServer,
  frontPort: number,
  signet: Signet,
  config: Readonly<Config>,
  clock: Clock,
  cleanup: () => Promise<void>,
): Promise<{ url: string; adminUrl: string; admin: DrainingServer }> {
  const admin = drainingServer(signet.app.callback(), config, clock);
  try {
    const url = await listen(front.http, frontPort, config.host);
    const adminUrl = await listen(admin.http, config.port, config.host);
    return { url, adminUrl, admin };
  } catch (error) {
    await Promise.all([front.drain(0), admin.drain(0)]);
    await cleanup();
    await signet.close();
    throw error;
  }
}

/**
 * `signet gateway`: the proxy on SIGNET_GATEWAY_PORT and Signet's own app on SIGNET_PORT, sharing
 * one verifier, key cache, rate limiter and usage buffer. A bad routes file or upstream URL fails
 * before the database is opened.
 */
export async function startGateway(config: Readonly<Config>, options: { clock?: Clock; logger?: Logger } = {}): Promise<RunningGateway> {
  const routes = loadRoutes(config.gatewayRoutesFile);
  const upstream = upstreamUrl(config.gatewayUpstream);
  const clock = options.clock ?? systemClock;
  const signet = await createSignet({ config, env: {}, clock, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  const gateway = createGateway({ config, verifyRequest: signet.verifyRequest, routes, upstream, clock, logger: signet.logger });
  const proxy = drainingServer(gateway.handle, config, clock);
  proxy.http.on('upgrade', gateway.refuseUpgrade);
  const { url, adminUrl, admin } = await listenBoth(proxy, config.gatewayPort, signet, config, clock, () => gateway.close());
  signet.start();
  signet.logger.info({ url, admin_url: adminUrl, upstream: upstream.href, routes: routes.routes.length, public_origin: config.publicOrigin }, 'signet gateway listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    signet,
    routes,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([proxy.drain(config.shutdownGraceMs), admin.drain(config.shutdownGraceMs)]);
        await gateway.close();
        await signet.close();
      })()),
  };
}

export interface RunningForwardAuth {
  /** Where proxies send their auth checks. */
  url: string;
  adminUrl: string;
  signet: Signet;
  close(): Promise<void>;
}

/** `signet forward-auth`: the check endpoint on SIGNET_FORWARD_AUTH_PORT and Signet's own app on SIGNET_PORT. */
export async function startForwardAuth(config: Readonly<Config>, options: { clock?: Clock; logger?: Logger } = {}): Promise<RunningForwardAuth> {
  const routes = loadRoutes(config.gatewayRoutesFile);
  const clock = options.clock ?? systemClock;
  const signet = await createSignet({ config, env: {}, clock, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  const check = drainingServer(createForwardAuth({ config, verifyRequest: signet.verifyRequest, routes, clock, logger: signet.logger }), config, clock);
  const { url, adminUrl, admin } = await listenBoth(check, config.forwardAuthPort, signet, config, clock, async () => undefined);
  signet.start();
  signet.logger.info({ url, admin_url: adminUrl, routes: routes.routes.length, body: config.forwardAuthBody, trusted_proxies: config.forwardAuthTrustedProxies }, 'signet forward-auth listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    signet,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([check.drain(config.shutdownGraceMs), admin.drain(config.shutdownGraceMs)]);
        await signet.close();
      })()),
  };
}
