import { z } from 'zod';
import { MAX_LIFECYCLE_SECONDS } from '../config.js';
import { OverridesSchema } from '../plans.js';

/**
 * Request bodies and queries of the admin, self-service and enrollment routes. Objects are strict:
 * an unknown field is an error (a typo must not pass silently). The OpenAPI document is written
 * against these names.
 */

const unique = <T>(items: T[]) => new Set(items).size === items.length;

const Scope = z.string().regex(/^[a-z][a-z0-9:._-]{0,63}$/, 'A scope is 1 to 64 characters: a-z first, then a-z 0-9 : . _ -.');
const Scopes = z.array(Scope).max(32).refine(unique, 'Scopes must not repeat.');
const Plan = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'A plan is 1 to 64 characters of A-Z a-z 0-9 _ . -');
/**
 * Characters a name or label may not hold: C0 and DEL, C1, bidi embeddings, overrides, isolates
 * and marks, zero-width and invisible formatting characters, line and paragraph separators, the
 * byte-order mark. These are shown in admins' terminals and in the portal: a label written by a
 * developer must not rewrite an admin's screen or reorder what it shows.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const HIDDEN_OR_CONTROL = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/;

/**
 * Text a person reads: well-formed Unicode (no lone surrogates), none of the characters above,
 * trimmed, not empty, NFC-normalised (one spelling for what looks the same), at most 200 characters.
 */
const DisplayText = (what: string) =>
  z
    .string()
    .max(1000)
    .refine((text) => !LONE_SURROGATE.test(text), `${what} must be well-formed Unicode (no lone surrogates).`)
    .refine((text) => !HIDDEN_OR_CONTROL.test(text), `${what} must not contain control, bidi or invisible formatting characters.`)
    .transform((text) => text.normalize('NFC').trim())
    .pipe(z.string().min(1, `${what} must not be empty or only white space.`).max(200, `${what} is at most 200 characters.`));

const ConsumerName = DisplayText('A name');
/** A key label; empty means none. */
const Label = z.union([z.literal(''), DisplayText('A label')]);
const Metadata = z
  .record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'A metadata key is 1 to 64 characters of A-Z a-z 0-9 _ . : -'), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((value) => Object.keys(value).length <= 50, 'At most 50 metadata entries.');
const AllowedModes = z
  .array(z.enum(['ed25519', 'hmac']))
  .min(1)
  .refine(unique, 'Modes must not repeat.');
const Timestamp = z.iso.datetime({ offset: true });
/** A JWK object, or PEM / OpenSSH / JWK text; importEd25519PublicKey decides what is acceptable. */
const PublicKeyInput = z.union([z.string().min(1).max(8192), z.record(z.string(), z.unknown())]);
const Limit = z.coerce.number().int().min(1).max(200).default(50);
const Cursor = z.string().min(1).max(200);

export const CreateConsumerBody = z.strictObject({
  name: ConsumerName,
  plan: Plan.nullable().optional(),
  /** Per-consumer rate-limit windows over the plan's (docs/rate-limits.md); null clears them. */
  rate_limits: OverridesSchema.nullable().optional(),
  metadata: Metadata.optional(),
  allowed_modes: AllowedModes.optional(),
});

export const UpdateConsumerBody = z
  .strictObject({
    name: ConsumerName.optional(),
    plan: Plan.nullable().optional(),
    rate_limits: OverridesSchema.nullable().optional(),
    metadata: Metadata.optional(),
    allowed_modes: AllowedModes.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Name at least one field to change.');

export const ConsumerListQuery = z.strictObject({
  status: z.enum(['active', 'disabled']).optional(),
  plan: Plan.optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});

export const EnrollmentCodeBody = z
  .strictObject({
    ttl_seconds: z.number().int().min(60).max(MAX_LIFECYCLE_SECONDS).optional(),
    scopes: Scopes.optional(),
    /** Required (true) for a code carrying the admin scope: whoever redeems it becomes an admin. */
    grants_admin: z.literal(true).optional(),
  })
  .refine((body) => !(body.scopes ?? []).includes('admin') || body.grants_admin === true, {
    message: 'A code with the admin scope makes whoever redeems it an admin: send "grants_admin": true to confirm.',
    path: ['grants_admin'],
  });

export const EnrollmentCodeListQuery = z.strictObject({
  state: z.enum(['pending', 'used', 'expired', 'cancelled']).optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});

export const AuditQuery = z.strictObject({
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  consumer: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(64).optional(),
  /** A key id, consumer id, code id, or (for key_directory.change) a directory URL. */
  target: z.string().min(1).max(2048).optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});

export const RevokeBody = z.strictObject({ force: z.boolean().optional() });
export const ForceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

export const AddKeyBody = z.strictObject({
  public_key: PublicKeyInput,
  label: Label.optional(),
  scopes: Scopes.optional(),
  not_before: Timestamp.optional(),
  expires_at: Timestamp.optional(),
});

export const RotateKeyBody = z.strictObject({
  public_key: PublicKeyInput,
  label: Label.optional(),
  overlap_seconds: z.number().int().min(0).max(MAX_LIFECYCLE_SECONDS).optional(),
});

export const EnrollBody = z.strictObject({
  code: z.string().min(1).max(200),
  public_key: PublicKeyInput,
  label: Label.optional(),
});

/** An HMAC key: the server generates the secret (docs/modes.md), so there is nothing to upload. */
export const CreateHmacKeyBody = z.strictObject({
  label: Label.optional(),
  scopes: Scopes.optional(),
  not_before: Timestamp.optional(),
  expires_at: Timestamp.optional(),
});

/** Keys of one type across all consumers: the admin's report of who still signs with HMAC. */
export const KeyTypeListQuery = z.strictObject({
  type: z.enum(['ed25519', 'hmac']),
  /** `unrevoked` leaves revoked keys out; expired keys stay, with their status. */
  state: z.enum(['all', 'unrevoked']).default('unrevoked'),
  cursor: Cursor.optional(),
  limit: Limit,
});

/**
 * A consumer's key directory. Its keys get `scopes` (an uploaded key has its own); the URL's SSRF
 * rules are checked by the route, with the deployment's allow-private setting.
 */
export const KeyDirectoryBody = z.strictObject({
  url: z.string().min(1).max(2048),
  scopes: Scopes.optional(),
});

/** Every body schema with the route that takes it (used by the OpenAPI document and the property test). */
export const BODY_SCHEMAS = {
  'POST /admin/v1/consumers': CreateConsumerBody,
  'PATCH /admin/v1/consumers/{id}': UpdateConsumerBody,
  'POST /admin/v1/consumers/{id}/enrollment-codes': EnrollmentCodeBody,
  'POST /admin/v1/keys/{kid}/revoke': RevokeBody,
  'PUT /admin/v1/consumers/{id}/key-directory': KeyDirectoryBody,
  'PUT /v1/key-directory': KeyDirectoryBody,
  'POST /v1/keys': AddKeyBody,
  'POST /v1/keys/{kid}/rotate': RotateKeyBody,
  'POST /v1/keys/{kid}/revoke': RevokeBody,
  'POST /v1/enroll': EnrollBody,
  'POST /admin/v1/consumers/{id}/keys/hmac': CreateHmacKeyBody,
  'POST /v1/keys/hmac': CreateHmacKeyBody,
} as const;
