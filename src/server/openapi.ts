import { z } from 'zod';
import type { Config } from '../config.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { AUTH_SCHEME, PROOF_HEADER } from '../protocol/format.js';
import { ADMIN_SCOPE, SELF_SERVICE_SCOPE } from '../protocol/scopes.js';
import { BODY_SCHEMAS } from './api-schemas.js';

/**
 * The OpenAPI 3.1 description of every route, served at GET /openapi.json. Request bodies are
 * generated from the same zod schemas the routes validate with; the rest is written here, and a
 * test fails when a mounted route is missing from `paths`.
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string): Json => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const json = (description: string, schema: Json): Json => ({ description, content: { 'application/json': { schema } } });

function bodySchema(key: keyof typeof BODY_SCHEMAS): Json {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(BODY_SCHEMAS[key], { unrepresentable: 'any' }) as Json;
  return schema;
}

const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const queryParam = (name: string, schema: Json, description: string): Json => ({ name, in: 'query', required: false, schema, description });
const limitParam = queryParam('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'Page size.');
const cursorParam = queryParam('cursor', { type: 'string' }, 'The next_cursor of the previous page.');
const forceParam = queryParam('force', { type: 'string', enum: ['true', 'false'] }, 'Allow revoking your last active key.');

interface OperationSpec {
  summary: string;
  operationId: string;
  tag: string;
  /** Scopes the signing key needs; undefined for routes without a signature. */
  scopes?: string[];
  proof?: boolean;
  body?: keyof typeof BODY_SCHEMAS;
  bodyRequired?: boolean;
  parameters?: Json[];
  responses: Json;
}

function operation(spec: OperationSpec): Json {
  const security: Json[] = [];
  // Either request format authenticates (alternatives, as OpenAPI lists them): a Signet JWS or an RFC 9421 signature.
  if (spec.scopes !== undefined && spec.proof === true) security.push({ signet: spec.scopes, signetProof: [] }, { httpMessageSignature: spec.scopes, signetProof: [] });
  else if (spec.scopes !== undefined) security.push({ signet: spec.scopes }, { httpMessageSignature: spec.scopes });
  else if (spec.proof === true) security.push({ signetProof: [] });
  const errors: Json = { '400': problem('invalid_request (with errors[].path), invalid_public_key') };
  if (spec.scopes !== undefined || spec.proof === true) errors['401'] = problem('The signature, proof or enrollment code was refused.');
  if (spec.scopes !== undefined && spec.scopes.length > 0) errors['403'] = problem(`insufficient_scope (needs ${spec.scopes.join(', ')}) or consumer_disabled`);
  // Every signed route is rate limited (docs/rate-limits.md); any request may meet the per-address failure limit.
  if (spec.scopes !== undefined || spec.proof === true) errors['429'] = problem('rate_limited: a limit of the plan, or too many authentication failures from this address (Retry-After)');
  return {
    summary: spec.summary,
    operationId: spec.operationId,
    tags: [spec.tag],
    security,
    ...(spec.parameters !== undefined ? { parameters: spec.parameters } : {}),
    ...(spec.body !== undefined ? { requestBody: { required: spec.bodyRequired ?? true, content: { 'application/json': { schema: bodySchema(spec.body) } } } } : {}),
    responses: { ...spec.responses, ...errors },
  };
}

const kidParam = pathParam('kid', 'Key id (key_...).');
/** The filters GET /v1/usage and GET /admin/v1/usage share. */
const usageQueryParams: Json[] = [
  queryParam('from', { type: 'string', format: 'date-time' }, 'Buckets from this time (default: one span before to).'),
  queryParam('to', { type: 'string', format: 'date-time' }, 'Buckets before this time (default: now).'),
  queryParam('granularity', { type: 'string', enum: ['minute', 'hour', 'day'], default: 'hour' }, 'Bucket size; at most 1500 buckets per query.'),
  queryParam('key', { type: 'string' }, 'Only this key.'),
  queryParam('route', { type: 'string' }, 'Only this route template, e.g. /v1/keys/:kid.'),
  queryParam('status_class', { type: 'string', enum: ['1xx', '2xx', '3xx', '4xx', '5xx'] }, 'Only these statuses.'),
];
/** Requests per request format; a format without requests is absent, so the values sum to `requests`. */
const byFormat: Json = {
  type: 'object',
  description: 'Requests per request format: jws (Authorization: Signet) or rfc9421 (HTTP Message Signatures, Web Bot Auth agents included).',
  propertyNames: { enum: ['jws', 'rfc9421'] },
  additionalProperties: { type: 'integer' },
};
/** A page of a cursor-paged list. */
const pageOf = (description: string, item: Json): Json => json(description, { type: 'object', properties: { items: { type: 'array', items: item }, next_cursor: { type: ['string', 'null'] } } });
const idParam = pathParam('id', 'Consumer id (con_...).');
const codeIdParam = pathParam('code_id', 'Enrollment code id (enc_...), never the code itself.');

export function openApiDocument(config: Pick<Config, 'publicOrigin'>): Json {
  const admin = [ADMIN_SCOPE];
  const keys = [SELF_SERVICE_SCOPE];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Signet',
      version: '1',
      description:
        'API authentication with per-request Ed25519 JWS signatures. Every signed route takes `Authorization: Signet <token>` (docs/protocol.md); key uploads also take a `Signet-Proof` token signed by the new key (docs/enrollment.md).',
    },
    servers: [{ url: config.publicOrigin }],
    tags: [{ name: 'core' }, { name: 'admin' }, { name: 'self-service' }, { name: 'enrollment' }, { name: 'usage' }, { name: 'portal' }],
    paths: {
      '/healthz': { get: operation({ summary: 'Liveness', operationId: 'healthz', tag: 'core', responses: { '200': json('Alive', { type: 'object' }) } }) },
      '/readyz': {
        get: operation({
          summary: 'Readiness (database, and Redis when configured, reachable)',
          operationId: 'readyz',
          tag: 'core',
          responses: { '200': json('Ready', { type: 'object' }), '503': json('Not ready', { type: 'object' }) },
        }),
      },
      '/openapi.json': { get: operation({ summary: 'This document', operationId: 'openapi', tag: 'core', responses: { '200': json('OpenAPI 3.1 document', { type: 'object' }) } }) },
      '/.well-known/signet': {
        get: operation({
          summary: 'Discovery: audience, token lifetime, clock skew, algorithms, key formats, server time and docs (public, cacheable for 10 s; docs/protocol.md §10)',
          operationId: 'discovery',
          tag: 'core',
          responses: {
            '200': json('Discovery document', {
              type: 'object',
              required: [
                'protocol',
                'protocol_version',
                'public_origin',
                'audience',
                'max_token_lifetime_seconds',
                'clock_skew_seconds',
                'algorithms',
                'public_key_formats',
                'server_time',
                'docs_url',
              ],
              properties: {
                protocol: { const: 'signet' },
                protocol_version: { const: 1 },
                public_origin: { type: 'string', format: 'uri' },
                audience: { type: 'string' },
                authorization_scheme: { type: 'string' },
                token_type: { type: 'string' },
                default_token_lifetime_seconds: { type: 'integer' },
                max_token_lifetime_seconds: { type: 'integer' },
                clock_skew_seconds: { type: 'integer' },
                algorithms: { type: 'object', properties: { ed25519: { type: 'array', items: { type: 'string' } }, hmac: { type: 'array', items: { type: 'string' } } } },
                public_key_formats: { type: 'array', items: { type: 'string', enum: ['jwk', 'pem', 'openssh'] } },
                presign_parameter: { type: 'string' },
                proof_header: { type: 'string' },
                server_time: { type: 'integer', description: 'Epoch seconds when the server answered.' },
                docs_url: { type: 'string', format: 'uri' },
                openapi_url: { type: 'string', format: 'uri' },
              },
            }),
          },
        }),
      },
      '/v1/whoami': { get: operation({ summary: 'The verified consumer and key', operationId: 'whoami', tag: 'core', scopes: [], responses: { '200': json('Identity', ref('Whoami')) } }) },
      '/v1/echo': {
        post: operation({
          summary: 'Echoes the signed body and its hash',
          operationId: 'echo',
          tag: 'core',
          scopes: [],
          parameters: [],
          responses: { '200': json('Echo', { type: 'object' }) },
        }),
      },
      '/v1/usage': {
        get: operation({
          summary: 'Your own usage and the current state of your rate limits',
          operationId: 'ownUsage',
          tag: 'usage',
          scopes: [],
          parameters: [...usageQueryParams, queryParam('group_by', { type: 'string', enum: ['key', 'route', 'status_class'] }, 'Also total the span per value of this dimension.')],
          responses: { '200': json('Usage series with limits', { allOf: [ref('Usage'), { type: 'object', properties: { consumer_id: { type: 'string' }, limits: ref('Limits') } }] }) },
        }),
      },
      '/portal': {
        get: {
          summary: 'The developer portal page (docs/portal.md); also served at /portal/',
          operationId: 'portalPage',
          tags: ['portal'],
          security: [{}],
          responses: { '200': { description: 'The portal page', content: { 'text/html': { schema: { type: 'string' } } } }, '404': problem('not_found: the portal is not built') },
        },
      },
      '/portal/{file}': {
        get: {
          summary: 'A file of the developer portal (script, style sheet, icon)',
          operationId: 'portalFile',
          tags: ['portal'],
          security: [{}],
          parameters: [pathParam('file', 'A file name of the built portal, e.g. portal.js.')],
          responses: { '200': { description: 'The file, with its content type' }, '404': problem('not_found: no such portal file') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (bearer SIGNET_METRICS_TOKEN, or loopback peers when no token is set)',
          operationId: 'metrics',
          tags: ['core'],
          security: [{ metricsToken: [] }, {}],
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
            '404': problem('not_found: no valid token, or not a loopback peer'),
          },
        },
      },
      '/v1/enroll': {
        post: operation({
          summary: 'Register a first key with a one-time enrollment code (Signet-Proof signed by the new key)',
          operationId: 'enroll',
          tag: 'enrollment',
          proof: true,
          body: 'POST /v1/enroll',
          responses: {
            '201': json('Enrolled', { type: 'object', properties: { consumer_id: { type: 'string' }, consumer_name: { type: 'string' }, key: ref('Key') } }),
            '409': problem('conflict: this public key is already registered'),
          },
        }),
      },
      '/v1/keys': {
        get: operation({ summary: 'List your keys', operationId: 'listOwnKeys', tag: 'self-service', scopes: keys, responses: { '200': json('Keys', ref('KeyList')) } }),
        post: operation({
          summary: 'Add a key (Signet-Proof signed by the new key)',
          operationId: 'addKey',
          tag: 'self-service',
          scopes: keys,
          proof: true,
          body: 'POST /v1/keys',
          responses: { '201': json('The new key', ref('Key')), '409': problem('conflict: this public key is already registered') },
        }),
      },
      '/v1/keys/hmac': {
        post: operation({
          summary: 'Create an HMAC key for your consumer; the answer shows its secret, once (docs/modes.md)',
          operationId: 'issueOwnHmacKey',
          tag: 'self-service',
          scopes: keys,
          body: 'POST /v1/keys/hmac',
          bodyRequired: false,
          responses: { '201': json('The key and its secret', ref('IssuedHmacKey')), '409': problem('conflict: your consumer does not allow the hmac mode') },
        }),
      },
      '/v1/keys/{kid}/rotate': {
        post: operation({
          summary: 'Replace a key: upload the new one, the old one expires after the overlap',
          operationId: 'rotateKey',
          tag: 'self-service',
          scopes: keys,
          proof: true,
          body: 'POST /v1/keys/{kid}/rotate',
          parameters: [kidParam],
          responses: {
            '201': json('The new key and the old one with its new expiry', { type: 'object', properties: { key: ref('Key'), previous: ref('Key') } }),
            '404': problem('not_found'),
            '409': problem('conflict: key already registered, or the old key is revoked or expired'),
          },
        }),
      },
      '/v1/keys/{kid}/revoke': {
        post: operation({
          summary: 'Revoke one of your keys (idempotent; your last active key needs force)',
          operationId: 'revokeOwnKey',
          tag: 'self-service',
          scopes: keys,
          body: 'POST /v1/keys/{kid}/revoke',
          bodyRequired: false,
          parameters: [kidParam, forceParam],
          responses: { '200': json('The revoked key', ref('Key')), '404': problem('not_found'), '409': problem('conflict: last active key without force') },
        }),
      },
      '/admin/v1/consumers': {
        get: operation({
          summary: 'List consumers (creation order)',
          operationId: 'listConsumers',
          tag: 'admin',
          scopes: admin,
          parameters: [queryParam('status', { type: 'string', enum: ['active', 'disabled'] }, 'Filter by status.'), queryParam('plan', { type: 'string' }, 'Filter by plan.'), cursorParam, limitParam],
          responses: { '200': pageOf('A page of consumers', ref('Consumer')) },
        }),
        post: operation({
          summary: 'Create a consumer',
          operationId: 'createConsumer',
          tag: 'admin',
          scopes: admin,
          body: 'POST /admin/v1/consumers',
          responses: { '201': json('The consumer', ref('Consumer')) },
        }),
      },
      '/admin/v1/consumers/{id}': {
        get: operation({
          summary: 'Show a consumer',
          operationId: 'showConsumer',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam],
          responses: { '200': json('The consumer', ref('Consumer')), '404': problem('not_found') },
        }),
        patch: operation({
          summary: 'Change name, plan, metadata or allowed modes',
          operationId: 'updateConsumer',
          tag: 'admin',
          scopes: admin,
          body: 'PATCH /admin/v1/consumers/{id}',
          parameters: [idParam],
          responses: { '200': json('The consumer', ref('Consumer')), '404': problem('not_found') },
        }),
        delete: operation({
          summary: 'Delete a consumer and its keys (the audit history stays)',
          operationId: 'deleteConsumer',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam],
          responses: { '204': { description: 'Deleted' }, '404': problem('not_found'), '409': problem('conflict: your own consumer') },
        }),
      },
      '/admin/v1/consumers/{id}/disable': {
        post: operation({
          summary: 'Disable a consumer: its keys are refused from the next request on',
          operationId: 'disableConsumer',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam],
          responses: { '200': json('The consumer', ref('Consumer')), '404': problem('not_found'), '409': problem('conflict: your own consumer') },
        }),
      },
      '/admin/v1/consumers/{id}/enable': {
        post: operation({
          summary: 'Enable a consumer again',
          operationId: 'enableConsumer',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam],
          responses: { '200': json('The consumer', ref('Consumer')), '404': problem('not_found') },
        }),
      },
      '/admin/v1/consumers/{id}/keys': {
        get: operation({
          summary: "List a consumer's keys",
          operationId: 'listConsumerKeys',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam],
          responses: { '200': json('Keys', ref('KeyList')), '404': problem('not_found') },
        }),
      },
      '/admin/v1/consumers/{id}/keys/hmac': {
        post: operation({
          summary: 'Create an HMAC key for a consumer that allows the hmac mode; the answer shows its secret, once (docs/modes.md)',
          operationId: 'adminIssueHmacKey',
          tag: 'admin',
          scopes: admin,
          body: 'POST /admin/v1/consumers/{id}/keys/hmac',
          bodyRequired: false,
          parameters: [idParam],
          responses: { '201': json('The key and its secret', ref('IssuedHmacKey')), '404': problem('not_found'), '409': problem('conflict: the consumer does not allow the hmac mode') },
        }),
      },
      '/admin/v1/keys': {
        get: operation({
          summary: 'Keys of one type across all consumers, with their last use (who still signs with HMAC)',
          operationId: 'listKeysOfType',
          tag: 'admin',
          scopes: admin,
          parameters: [
            { name: 'type', in: 'query', required: true, schema: { type: 'string', enum: ['ed25519', 'hmac'] }, description: 'Key type.' },
            queryParam('state', { type: 'string', enum: ['all', 'unrevoked'], default: 'unrevoked' }, 'unrevoked leaves revoked keys out.'),
            cursorParam,
            limitParam,
          ],
          responses: {
            '200': pageOf('A page of keys, in creation order', {
              allOf: [
                ref('Key'),
                {
                  type: 'object',
                  properties: {
                    consumer: {
                      type: 'object',
                      properties: { id: { type: 'string' }, name: { type: 'string' }, status: { type: 'string' }, allowed_modes: { type: 'array', items: { type: 'string' } } },
                    },
                  },
                },
              ],
            }),
          },
        }),
      },
      '/admin/v1/consumers/{id}/enrollment-codes': {
        post: operation({
          summary: 'Create a one-time enrollment code (shown in this response only)',
          operationId: 'createEnrollmentCode',
          tag: 'admin',
          scopes: admin,
          body: 'POST /admin/v1/consumers/{id}/enrollment-codes',
          bodyRequired: false,
          parameters: [idParam],
          responses: {
            '201': json('The code', { allOf: [ref('EnrollmentCode'), { type: 'object', properties: { code: { type: 'string', description: 'Shown once; the server keeps only its SHA-256.' } } }] }),
            '404': problem('not_found'),
          },
        }),
        get: operation({
          summary: "List a consumer's enrollment codes with their states (creation order; never the codes themselves)",
          operationId: 'listEnrollmentCodes',
          tag: 'admin',
          scopes: admin,
          parameters: [idParam, queryParam('state', { type: 'string', enum: ['pending', 'used', 'expired', 'cancelled'] }, 'Only codes in this state now.'), cursorParam, limitParam],
          responses: {
            '200': pageOf('A page of codes', ref('EnrollmentCode')),
            '404': problem('not_found'),
          },
        }),
      },
      '/admin/v1/enrollment-codes/{code_id}/cancel': {
        post: operation({
          summary: 'Cancel an enrollment code that was not used, so it never enrolls (idempotent)',
          operationId: 'cancelEnrollmentCode',
          tag: 'admin',
          scopes: admin,
          parameters: [codeIdParam],
          responses: { '200': json('The cancelled code', ref('EnrollmentCode')), '404': problem('not_found'), '409': problem('conflict: the code was already used (state: used)') },
        }),
      },
      '/admin/v1/keys/{kid}/revoke': {
        post: operation({
          summary: 'Revoke any key (idempotent)',
          operationId: 'adminRevokeKey',
          tag: 'admin',
          scopes: admin,
          body: 'POST /admin/v1/keys/{kid}/revoke',
          bodyRequired: false,
          parameters: [kidParam, forceParam],
          responses: { '200': json('The revoked key', ref('Key')), '404': problem('not_found'), '409': problem('conflict: your own last active key without force') },
        }),
      },
      '/admin/v1/usage': {
        get: operation({
          summary: 'Usage of every consumer, by minute, hour or day',
          operationId: 'adminUsage',
          tag: 'usage',
          scopes: admin,
          parameters: [
            ...usageQueryParams,
            queryParam('consumer', { type: 'string' }, 'Only this consumer.'),
            queryParam('group_by', { type: 'string', enum: ['consumer', 'key', 'route', 'status_class'] }, 'Also total the span per value of this dimension (top 100).'),
          ],
          responses: { '200': json('Usage series', ref('Usage')) },
        }),
      },
      '/admin/v1/plans': {
        get: operation({
          summary: 'The configured rate-limit plans and the default plan',
          operationId: 'listPlans',
          tag: 'usage',
          scopes: admin,
          responses: { '200': json('Plans', ref('PlanList')) },
        }),
      },
      '/admin/v1/audit': {
        get: operation({
          summary: 'Query the audit log (newest first)',
          operationId: 'queryAudit',
          tag: 'admin',
          scopes: admin,
          parameters: [
            queryParam('since', { type: 'string', format: 'date-time' }, 'Entries at or after this time.'),
            queryParam('until', { type: 'string', format: 'date-time' }, 'Entries before this time.'),
            queryParam('consumer', { type: 'string' }, 'Entries about this consumer or its keys.'),
            queryParam('actor', { type: 'string' }, 'Entries by this key id, or local-operator.'),
            queryParam('action', { type: 'string' }, 'e.g. key.revoke'),
            queryParam('target', { type: 'string' }, 'Entries about this consumer, key or code id.'),
            cursorParam,
            limitParam,
          ],
          responses: { '200': pageOf('A page of entries', ref('AuditEntry')) },
        }),
      },
      '/admin/v1/audit/actions': {
        get: operation({
          summary: 'The actions the audit log records (for an action filter)',
          operationId: 'listAuditActions',
          tag: 'admin',
          scopes: admin,
          responses: { '200': json('Action names', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { type: 'string' } } } }) },
        }),
      },
    },
    components: {
      securitySchemes: {
        signet: { type: 'http', scheme: AUTH_SCHEME, description: 'A compact JWS bound to the request (docs/protocol.md). The listed scopes are the scopes the key needs.' },
        httpMessageSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'Signature',
          description:
            'An RFC 9421 HTTP message signature by the same registered keys (docs/rfc9421.md): Signature and Signature-Input headers covering @method, @target-uri (or @authority, @path and @query) and, with a body, content-digest (RFC 9530 sha-256); parameters created, expires, nonce and keyid; alg, when present, ed25519 or hmac-sha256 as the key requires. The listed scopes are the scopes the key needs.',
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'The value of SIGNET_METRICS_TOKEN.' },
        signetProof: { type: 'apiKey', in: 'header', name: PROOF_HEADER, description: 'A Signet token over the same request, signed by the uploaded key, kid = its RFC 7638 thumbprint.' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail', 'request_id', 'server_time'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string', enum: Object.keys(ERROR_CODES) },
            detail: { type: 'string' },
            request_id: { type: 'string' },
            server_time: { type: 'integer' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
            required_scopes: { type: 'array', items: { type: 'string' } },
            plan: { type: 'string', description: 'rate_limited: the plan that refused' },
            policy: { type: 'string', description: 'rate_limited: the window (RateLimit policy name) that refused, or auth_failures' },
            limit: { type: 'integer' },
            window_seconds: { type: 'integer' },
            retry_after: { type: 'integer', description: 'Seconds; also in Retry-After' },
            exhausted: { type: 'array', items: { type: 'string' } },
          },
        },
        Whoami: {
          type: 'object',
          properties: {
            consumer_id: { type: 'string' },
            consumer_name: { type: 'string' },
            key_id: { type: 'string' },
            mode: { type: 'string' },
            format: { type: 'string', enum: ['jws', 'rfc9421'] },
            scopes: { type: 'array', items: { type: 'string' } },
            allowed_modes: { type: 'array', items: { type: 'string' }, description: 'The modes the consumer may sign with (ed25519, hmac).' },
          },
        },
        Consumer: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            status: { type: 'string', enum: ['active', 'disabled'] },
            plan: { type: ['string', 'null'] },
            rate_limits: { type: ['array', 'null'], items: ref('RateLimitOverride'), description: 'Windows over the plan: same name replaces, new name adds, null limit removes.' },
            metadata: { type: 'object' },
            allowed_modes: { type: 'array', items: { type: 'string', enum: ['ed25519', 'hmac'] } },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
            warnings: {
              type: 'array',
              description: "Only in the answer to a create or a rename: the name looks like another consumer's (code look_alike_name). The change was made.",
              items: { type: 'object', properties: { code: { type: 'string' }, detail: { type: 'string' }, consumer_id: { type: 'string' } } },
            },
          },
        },
        Key: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            consumer_id: { type: 'string' },
            type: { type: 'string', enum: ['ed25519', 'hmac'] },
            status: { type: 'string', enum: ['active', 'revoked', 'expired', 'not_yet_valid'] },
            thumbprint: { type: ['string', 'null'] },
            public_key: { type: ['object', 'null'], description: 'Public JWK' },
            label: { type: 'string' },
            scopes: { type: 'array', items: { type: 'string' } },
            not_before: { type: ['string', 'null'], format: 'date-time' },
            expires_at: { type: ['string', 'null'], format: 'date-time' },
            revoked_at: { type: ['string', 'null'], format: 'date-time' },
            last_used_at: { type: ['string', 'null'], format: 'date-time' },
            created_at: { type: 'string', format: 'date-time' },
          },
        },
        KeyList: { type: 'object', properties: { items: { type: 'array', items: ref('Key') } } },
        IssuedHmacKey: {
          type: 'object',
          properties: {
            key: ref('Key'),
            secret: {
              type: 'string',
              pattern: '^sgnt_hs_[0-9A-Za-z]{49}$',
              description: 'Shown in this answer only; the server keeps it encrypted and never shows it again. Sign HS256 with its ASCII bytes as the key.',
            },
          },
        },
        RateLimitOverride: {
          type: 'object',
          required: ['name', 'limit', 'window'],
          properties: { name: { type: 'string' }, limit: { type: ['integer', 'null'] }, window: { type: 'string', description: '1s, 15m, 1h, 1d... or month' } },
        },
        Limits: {
          type: 'object',
          properties: {
            plan: { type: 'string' },
            overridden: { type: 'boolean' },
            unlimited: { type: 'boolean' },
            windows: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  limit: { type: 'integer' },
                  window: { type: 'string' },
                  window_seconds: { type: 'integer' },
                  remaining: { type: 'integer' },
                  reset_seconds: { type: 'integer' },
                },
              },
            },
          },
        },
        Usage: {
          type: 'object',
          properties: {
            granularity: { type: 'string', enum: ['minute', 'hour', 'day'] },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            recording: { type: 'boolean' },
            totals: {
              type: 'object',
              properties: {
                requests: { type: 'integer' },
                latency_ms_avg: { type: ['number', 'null'] },
                latency_ms_max: { type: ['number', 'null'] },
                bytes_in: { type: 'integer' },
                bytes_out: { type: 'integer' },
                by_status_class: { type: 'object', additionalProperties: { type: 'integer' } },
                by_format: byFormat,
              },
            },
            buckets: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  start: { type: 'string', format: 'date-time' },
                  requests: { type: 'integer' },
                  latency_ms_avg: { type: ['number', 'null'] },
                  latency_ms_max: { type: ['number', 'null'] },
                  bytes_in: { type: 'integer' },
                  bytes_out: { type: 'integer' },
                  by_status_class: { type: 'object', additionalProperties: { type: 'integer' } },
                  by_format: byFormat,
                },
              },
            },
            group_by: { type: 'string' },
            groups: { type: 'array', items: { type: 'object', description: 'The dimension named by group_by with its value, and the totals.' } },
          },
        },
        PlanList: {
          type: 'object',
          properties: {
            default_plan: { type: 'string' },
            plans: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  description: { type: 'string' },
                  unlimited: { type: 'boolean' },
                  windows: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, limit: { type: 'integer' }, window: { type: 'string' } } } },
                },
              },
            },
          },
        },
        EnrollmentCode: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            consumer_id: { type: 'string' },
            state: { type: 'string', enum: ['pending', 'used', 'expired', 'cancelled'], description: 'At the time of the answer.' },
            scopes: { type: 'array', items: { type: 'string' }, description: 'Scopes of the key enrolled with it.' },
            created_by: { type: 'string', description: 'The key id that created it, or local-operator.' },
            created_at: { type: 'string', format: 'date-time' },
            expires_at: { type: 'string', format: 'date-time' },
            used_at: { type: ['string', 'null'], format: 'date-time' },
            used_key_id: { type: ['string', 'null'], description: 'The key it enrolled.' },
            cancelled_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        AuditEntry: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            at: { type: 'string', format: 'date-time' },
            actor: { type: 'string' },
            action: { type: 'string' },
            target: { type: 'object', properties: { type: { type: 'string' }, id: { type: 'string' } } },
            consumer_id: { type: ['string', 'null'] },
            request_id: { type: ['string', 'null'] },
            source_ip: { type: ['string', 'null'] },
            before: { type: ['object', 'null'] },
            after: { type: ['object', 'null'] },
          },
        },
      },
    },
  };
}
