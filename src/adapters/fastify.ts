import { Readable } from 'node:stream';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { readRawBody } from '../server/middleware/raw-body.js';
import type { AdmittedRequest } from '../server/rate-limit/admission.js';
import type { RouteRules, VerifierHandle } from './verify-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified consumer, key, mode, claims and rate-limit state (null on public routes). */
    signet: AdmittedRequest | null;
    /** The exact body bytes that were verified. */
    rawBody: Buffer | null;
  }
  interface FastifyContextConfig {
    /** Per route: the scopes it needs, or false for a route Signet leaves alone. */
    signet?: RouteRules | false;
  }
}

export interface SignetFastifyOptions extends RouteRules {
  signet: VerifierHandle;
}

const bodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Fastify plugin: every route of the instance it is registered on (and its children) is verified
 * before its handler, with the plugin's scopes or the route's own `config.signet`. The body is read
 * once in preParsing (within Signet's body limit) and handed on unchanged to Fastify's parsers.
 * The per-address failure gate counts by `request.ip`: Fastify's `trustProxy` option decides
 * whether X-Forwarded-For is believed.
 */
const plugin: FastifyPluginCallback<SignetFastifyOptions> = (fastify, options, done) => {
  const { signet, ...defaults } = options;
  fastify.decorateRequest('signet', null);
  fastify.decorateRequest('rawBody', null);
  const rulesFor = (request: FastifyRequest): RouteRules | false => {
    const route = request.routeOptions.config.signet;
    return route === false ? false : { ...defaults, ...(route ?? {}), route: request.routeOptions.url ?? request.url };
  };
  const verify = (request: FastifyRequest, rules: RouteRules, body: () => Promise<Uint8Array>) =>
    signet.verifyRequest({ method: request.method, url: request.url, headers: request.headers, body, clientAddress: request.ip }, rules);

  fastify.addHook('preParsing', async (request, reply, payload) => {
    const rules = rulesFor(request);
    if (rules === false) return payload;
    try {
      const bytes = await readRawBody(Object.assign(payload, { headers: request.headers }), signet.config.bodyLimitBytes);
      bodies.set(request, bytes);
      return Readable.from(bytes.length === 0 ? [] : [bytes]);
    } catch (error) {
      // Answered here: Fastify's parser would otherwise see no body and answer a 400 of its own.
      const refused = await verify(request, rules, () => Promise.reject(error));
      if (!refused.ok) await reply.headers(refused.headers).code(refused.status).send(refused.body);
      return reply as never;
    }
  });
  fastify.addHook('preHandler', async (request, reply) => {
    const rules = rulesFor(request);
    if (rules === false) return;
    const read = bodies.get(request) ?? Buffer.alloc(0);
    const verdict = await verify(request, rules, async () => read);
    reply.headers(verdict.headers);
    if (!verdict.ok) return reply.code(verdict.status).send(verdict.body);
    request.signet = verdict.auth;
    request.rawBody = read;
    reply.raw.once('finish', () => verdict.finish({ status: reply.statusCode }));
  });
  done();
};
// Registered without encapsulation (as fastify-plugin does), so the hooks reach the routes of the app it is registered on.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export const signetFastify = plugin;
export type { RouteRules, VerifierHandle } from './verify-request.js';
