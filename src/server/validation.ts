import type { Context } from 'koa';
import type { z } from 'zod';
import { SignetError } from '../protocol/errors.js';
import { parseStrictJson } from '../protocol/strict-json.js';

export interface FieldError {
  /** Dotted path of the offending field ("metadata.tier", "scopes.2"); empty for the body itself. */
  path: string;
  message: string;
}

function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: [...path, key].map(String).join('.'), message: 'Unknown field.' });
    } else if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A bad record key: say why the key is bad, not merely that it is.
      errors.push({ path: path.map(String).join('.'), message: issue.issues.map((inner) => inner.message).join('; ') });
    } else {
      errors.push({ path: path.map(String).join('.'), message: issue.message });
    }
  }
  return errors;
}

export function invalidFields(where: string, errors: FieldError[]): SignetError {
  const summary = errors
    .slice(0, 3)
    .map((e) => `${e.path === '' ? where : e.path}: ${e.message}`)
    .join('; ');
  return new SignetError('invalid_request', { detail: `The ${where} is invalid: ${summary}`, extra: { errors } });
}

/**
 * Parses the raw body bytes as strict JSON (no duplicate members) and validates them. An empty
 * body counts as `{}`, so routes whose fields are all optional accept no body at all.
 */
export function parseBodyBytes<S extends z.ZodType>(schema: S, raw: Uint8Array): z.infer<S> {
  let json: unknown = {};
  if (raw.length > 0) {
    try {
      json = parseStrictJson(raw);
    } catch {
      throw invalidFields('request body', [{ path: '', message: 'Not valid JSON (UTF-8, no duplicate members, at most 8 levels deep).' }]);
    }
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalidFields('request body', fieldErrors(result.error.issues));
  return result.data;
}

export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  return parseBodyBytes(schema, ctx.state.rawBody as Buffer);
}

export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const result = schema.safeParse({ ...ctx.query });
  if (!result.success) throw invalidFields('query', fieldErrors(result.error.issues));
  return result.data;
}
