import type { SignetProblem } from '../client/errors.js';
import type { RequestClaims } from '../protocol/format.js';
import { PLAIN, type Palette } from './color.js';
import { shown } from './terminal-text.js';

const time = (seconds: number) => `${seconds} (${new Date(seconds * 1000).toISOString().replace('.000', '')})`;

/** The claims a token carries, one per line, for `--explain`. */
export function renderClaims(claims: RequestClaims, kid: string, attempt: number, palette: Palette = PLAIN): string {
  const rows: Array<[string, string]> = [
    ['kid', kid],
    ['method', claims.method],
    ['url', claims.url],
    ['body_sha256', claims.body_sha256],
    ['aud', claims.aud],
    ['iat', time(claims.iat)],
    ['exp', `${time(claims.exp)}, lifetime ${claims.exp - claims.iat} s`],
    ['jti', claims.jti],
  ];
  const title = attempt === 0 ? 'signed claims' : 'signed claims (retry after correcting the clock from the server time)';
  return `${palette.bold(title + ':')}\n${rows.map(([name, value]) => `  ${name.padEnd(12)} ${value}`).join('\n')}\n`;
}

/** Where two strings first differ, for a caret under the difference. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const HINTS: Record<string, string> = {
  url: 'The server compares against its configured public origin (SIGNET_PUBLIC_ORIGIN) plus the path and query it received. Call it by that origin.',
  body_sha256: 'Send exactly the bytes you signed (with curl: --data-binary, not -d, which strips newlines).',
  method: 'Sign the method you send.',
  aud: "Sign for the server's audience (by default its public origin).",
};

const CODE_HINTS: Record<string, string> = {
  invalid_token:
    'Check that the kid belongs to this key file (the key id the server issued for its public half) and that the server is the one you registered with; --explain shows the claims signed.',
  token_replayed: 'Every token works once: sign every request afresh.',
  token_expired: "The client already corrected its clock once from the server's time; check the local clock.",
  token_issued_in_future: "The client already corrected its clock once from the server's time; check the local clock.",
  missing_token: 'Presigned links work for GET only; other requests need the Authorization header.',
};

/** Codes whose hint is printed even without --explain: their one-line detail says too little to act on. */
const PLAIN_HINT_CODES: ReadonlySet<string> = new Set(['invalid_token']);

/**
 * For a 403 insufficient_scope: which profile and key signed, and which profile to try instead
 * (after `signet admin init`, the admin profile holds the key with the admin scope).
 */
export function scopeHint(problem: { code?: unknown } | undefined, used: { profile: string | undefined; kid: string }, profileNames: readonly string[]): string | undefined {
  if (problem?.code !== 'insufficient_scope') return undefined;
  const by = used.profile === undefined ? `key ${used.kid} (no profile)` : `the profile "${used.profile}" (key ${used.kid})`;
  const others = profileNames.filter((name) => name !== used.profile);
  const suggestion = others.includes('admin')
    ? 'For admin commands use the key from "signet admin init": add --profile admin.'
    : others.length > 0
      ? `Try another profile with --profile NAME (${others.join(', ')}), or "signet profile list".`
      : 'Admin commands need the key made by "signet admin init" (then: --profile admin).';
  return `  signed with ${by}, whose key lacks that scope. ${suggestion}\n`;
}

/**
 * A Signet problem as sentences; for binding mismatches, expected (server) versus received
 * (token) per claim. With `explain`, a caret under the first difference and a hint per cause.
 */
export function renderProblem(problem: SignetProblem, options: { palette?: Palette; explain?: boolean } = {}): string {
  const p = options.palette ?? PLAIN;
  const lines = [`${p.red(p.bold(`error ${String(problem.code)}`))}: ${shown(problem.detail ?? problem.title ?? '')}`];
  const mismatches = Array.isArray(problem.mismatches) ? problem.mismatches : [];
  for (const m of mismatches) {
    lines.push(`  ${p.bold(String(m.claim))}`);
    lines.push(`    ${p.green('- expected (server):')} ${p.green(String(m.expected))}`);
    lines.push(`    ${p.red('+ received (token): ')} ${p.red(String(m.received))}`);
    if (options.explain === true) {
      const at = firstDifference(String(m.expected), String(m.received));
      lines.push(`    ${' '.repeat(20)} ${' '.repeat(at)}${p.bold('^')} first difference at character ${at + 1}`);
      if (HINTS[m.claim] !== undefined) lines.push(`    ${p.dim(HINTS[m.claim]!)}`);
    }
  }
  const plainHint = PLAIN_HINT_CODES.has(String(problem.code));
  if ((options.explain === true || plainHint) && mismatches.length === 0 && CODE_HINTS[String(problem.code)] !== undefined) {
    lines.push(`  ${p.dim(CODE_HINTS[String(problem.code)]!)}`);
  }
  if (problem.request_id !== undefined) lines.push(`  request id ${String(problem.request_id)}`);
  return lines.join('\n') + '\n';
}
