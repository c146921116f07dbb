import type { Context } from 'koa';
import { SignetError } from '../protocol/errors.js';
import type { SignetState } from './state.js';

/** A key may hand on only scopes it holds itself: no key can mint a more powerful one. */
export function requireScopesHeld(ctx: Context & { state: SignetState }, wanted: readonly string[]): void {
  const held = ctx.state.auth.key.scopes;
  const missing = wanted.filter((scope) => !held.includes(scope));
  if (missing.length > 0) {
    throw new SignetError('insufficient_scope', {
      detail: `The signing key cannot grant scope(s) it does not hold: ${missing.join(', ')}.`,
      extra: { required_scopes: [...wanted] },
    });
  }
}
