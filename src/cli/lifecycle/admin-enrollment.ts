import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { UsageError, type CliIo, type Command } from '../command.js';
import { printAnswer, withServer } from './api-client.js';
import { JSON_HELP, parseDuration, parseScopes } from './flags.js';
import { oneIdCommand, printPage, segment, signedSession } from './session.js';

interface EnrollmentCodeJson {
  id: string;
  state: string;
  scopes: string[];
  expires_at: string;
  used_at: string | null;
  used_key_id: string | null;
  cancelled_at: string | null;
}

/** The time that matters for the code's state. */
function whenNote(code: EnrollmentCodeJson): string {
  if (code.cancelled_at !== null) return `cancelled ${code.cancelled_at}`;
  if (code.used_at !== null) return `used ${code.used_at} by ${code.used_key_id ?? 'an unknown key'}`;
  return `${code.state === 'expired' ? 'expired' : 'expires'} ${code.expires_at}`;
}

/** One line per code: id, state, scopes, and when it expires, was used or was cancelled. */
function printCode(code: EnrollmentCodeJson, io: CliIo): void {
  io.stdout.write(`${code.id}  ${code.state.padEnd(9)}  [${code.scopes.join(',')}]  ${whenNote(code)}\n`);
}

export const adminEnrollCodeCommand: Command = {
  path: ['admin', 'enroll-code'],
  summary: 'Create a one-time enrollment code for a consumer (shown once)',
  usage: `signet admin enroll-code CONSUMER_ID [--ttl 24h] [--scopes keys,...] [--grant-admin] [--json] [--profile NAME]

Creates a single-use code the consumer passes to "signet enroll" to register its first key. The
server keeps only the code's SHA-256, so this is the only time it is shown. "signet admin
enroll-codes list" shows a consumer's codes; "signet admin enroll-codes cancel" cancels one.

  --ttl DURATION   how long the code works: 60s to 30d (default 24h), e.g. 90m, 2d
  --scopes a,b     scopes of the key enrolled with it (default: keys)
  --grant-admin    confirm a code whose scopes include admin (whoever redeems it becomes an admin)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, ttl: { type: 'string' }, scopes: { type: 'string' }, 'grant-admin': { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id] = requirePositionals(positionals, ['CONSUMER_ID']);
    const ttl = typeof values.ttl === 'string' ? parseDuration(values.ttl, '--ttl') : undefined;
    const scopes = parseScopes(values.scopes);
    const grantsAdmin = scopes?.includes('admin') === true;
    if (grantsAdmin && values['grant-admin'] !== true) {
      throw new UsageError('--scopes includes admin: whoever redeems this code becomes an admin. Add --grant-admin to confirm.');
    }
    const session = await signedSession(values);
    return withServer(io, async () => {
      const answer = await session.api.call('POST', `/admin/v1/consumers/${segment(id!)}/enrollment-codes`, {
        json: { ...(ttl !== undefined ? { ttl_seconds: ttl } : {}), ...(scopes !== undefined ? { scopes } : {}), ...(grantsAdmin ? { grants_admin: true } : {}) },
      });
      if (grantsAdmin && answer.status === 201) io.stderr.write('warning: this code grants the admin scope: whoever redeems it becomes an admin. Hand it over as you would an admin key.\n');
      return printAnswer(answer, 201, values, io, (code) => {
        io.stdout.write(`${code.code}\n`);
        io.stderr.write(`single use, expires ${code.expires_at}; the consumer runs:\n  signet enroll --server ${session.server} --code ${code.code}\n`);
      });
    });
  },
};

export const adminEnrollCodesListCommand: Command = {
  path: ['admin', 'enroll-codes', 'list'],
  summary: "List a consumer's enrollment codes and their states (admin API)",
  usage: `signet admin enroll-codes list CONSUMER_ID [--state pending|used|expired|cancelled] [--limit N] [--cursor C] [--json] [--profile NAME]

Lists the consumer's codes in creation order, one page at a time; the next page's cursor is
printed last. The codes themselves are never shown again: the server keeps only their hashes.

  --state S      only codes in this state: pending, used, expired or cancelled
  --limit N      page size, 1 to 200 (default 50)
  --cursor C     continue after a previous page
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, state: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id] = requirePositionals(positionals, ['CONSUMER_ID']);
    return printPage(values, io, `/admin/v1/consumers/${segment(id!)}/enrollment-codes`, new URLSearchParams(), ['state', 'limit', 'cursor'], (code: EnrollmentCodeJson) => printCode(code, io));
  },
};

export const adminEnrollCodesCancelCommand = oneIdCommand({
  path: ['admin', 'enroll-codes', 'cancel'],
  summary: 'Cancel an enrollment code that was not used, so it never enrolls (admin API)',
  idName: 'CODE_ID',
  method: 'POST',
  url: (id) => `/admin/v1/enrollment-codes/${id}/cancel`,
  print: (code: EnrollmentCodeJson, io) => printCode(code, io),
});
