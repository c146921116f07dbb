import { existsSync } from 'node:fs';
import { saveHmacSecret } from '../../client/key-file.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { UsageError, type CliIo, type Command } from '../command.js';
import { reportFailure, withServer, type ApiAnswer } from '../lifecycle/api-client.js';
import { JSON_HELP, parseDuration, parseScopes } from '../lifecycle/flags.js';
import { printKey, type KeyJson } from '../lifecycle/key-lines.js';
import { segment, signedCall, signedSession } from '../lifecycle/session.js';
import { jsonText, shown } from '../terminal-text.js';

const MODES = new Set(['ed25519', 'hmac']);

export const adminConsumersModesCommand: Command = {
  path: ['admin', 'consumers', 'modes'],
  summary: "Set a consumer's allowed signing modes: ed25519, hmac or both (admin API)",
  usage: `signet admin consumers modes CONSUMER_ID MODES [--json] [--profile NAME]

Sets which key types the consumer may sign with, e.g. "ed25519,hmac" to allow HMAC keys, or
"ed25519" to switch HMAC off again: its HMAC keys are then refused (403 mode_not_allowed) from
the next request on. New consumers allow ed25519 only.
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id, list] = requirePositionals(positionals, ['CONSUMER_ID', 'MODES']);
    const modes = list!
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (modes.length === 0 || modes.some((m) => !MODES.has(m))) throw new UsageError(`MODES is a comma-separated list of ed25519 and hmac, not "${list}".`);
    return signedCall(values, io, ['PATCH', `/admin/v1/consumers/${segment(id!)}`, { json: { allowed_modes: modes } }], (c) =>
      io.stdout.write(`${c.id}  allowed_modes=${(c.allowed_modes as string[]).join(',')}\n`),
    );
  },
};

/** The body of a key creation from --label, --scopes and --expires-in. */
export function hmacKeyBody(values: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  const scopes = parseScopes(values.scopes);
  return {
    ...(typeof values.label === 'string' ? { label: values.label } : {}),
    ...(scopes !== undefined ? { scopes } : {}),
    ...(typeof values['expires-in'] === 'string' ? { expires_at: new Date(nowMs + parseDuration(values['expires-in'], '--expires-in') * 1000).toISOString() } : {}),
  };
}

/** The secret is shown once: refuse an existing --secret-out before the server makes the key. */
export function secretOutFlag(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (existsSync(value)) throw new UsageError(`${value} already exists; --secret-out must name a new file (a secret file is never overwritten).`);
  return value;
}

/** Shows a new key and its secret: on stdout, or only in --secret-out FILE (mode 0600). */
export async function showIssued(answer: ApiAnswer, values: Record<string, unknown>, io: CliIo, secretOut: string | undefined): Promise<number> {
  if (answer.status !== 201) return reportFailure(answer, io);
  const { key, secret } = answer.body as { key: KeyJson; secret: string };
  if (secretOut !== undefined) await saveHmacSecret(secret, secretOut);
  if (values.json === true) {
    io.stdout.write(JSON.stringify(secretOut === undefined ? answer.body : { key, secret_file: secretOut }) + '\n');
    return 0;
  }
  printKey(key, io);
  if (secretOut === undefined) io.stdout.write(`${secret}\n`);
  io.stderr.write(
    secretOut === undefined
      ? 'This is the only time the secret is shown: store it now (a file with mode 0600, or a secret manager).\n'
      : `secret written to ${secretOut} (mode 0600); the server will never show it again\n`,
  );
  return 0;
}

export const adminKeysCreateHmacCommand: Command = {
  path: ['admin', 'keys', 'create-hmac'],
  summary: 'Create an HMAC key for a consumer that allows hmac; shows its secret once (admin API)',
  usage: `signet admin keys create-hmac CONSUMER_ID [--label TEXT] [--scopes a,b] [--expires-in 90d] [--secret-out FILE] [--json] [--profile NAME]

The server generates the secret (256 random bits, sgnt_hs_...), stores it encrypted under its
master key, and shows it in this answer only. Hand it to the consumer over a safe channel. The
consumer must allow the hmac mode ("signet admin consumers modes ID ed25519,hmac"). Prefer
Ed25519 keys where the client can use them (docs/modes.md).

  --label TEXT        a label for the key
  --scopes a,b        scopes of the key (default: none)
  --expires-in D      the key expires after this long, e.g. 90d
  --secret-out FILE   write the secret to this new file (mode 0600) instead of printing it
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, label: { type: 'string' }, scopes: { type: 'string' }, 'expires-in': { type: 'string' }, 'secret-out': { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id] = requirePositionals(positionals, ['CONSUMER_ID']);
    const body = hmacKeyBody(values, Date.now());
    const secretOut = secretOutFlag(values['secret-out']);
    const session = await signedSession(values);
    return withServer(io, async () => {
      const answer = await session.api.call('POST', `/admin/v1/consumers/${segment(id!)}/keys/hmac`, { json: body });
      return showIssued(answer, values, io, secretOut);
    });
  },
};

interface ReportItem extends KeyJson {
  consumer: { id: string; name: string; status: string; allowed_modes: string[] };
}

export const adminKeysHmacReportCommand: Command = {
  path: ['admin', 'keys', 'hmac-report'],
  summary: 'Every HMAC key with its consumer and last use, to drive clients off HMAC (admin API)',
  usage: `signet admin keys hmac-report [--all] [--json] [--profile NAME]

Lists the HMAC keys of all consumers (revoked ones only with --all), with their last use, and
ends with the number of consumers still holding an active HMAC key.

  --all    include revoked keys
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const session = await signedSession(values);
    return withServer(io, async () => {
      const items: ReportItem[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ type: 'hmac', state: values.all === true ? 'all' : 'unrevoked', limit: '200', ...(cursor !== null ? { cursor } : {}) });
        const answer = await session.api.call('GET', `/admin/v1/keys?${query}`);
        if (answer.status !== 200) return reportFailure(answer, io);
        items.push(...(answer.body.items as ReportItem[]));
        cursor = answer.body.next_cursor as string | null;
      } while (cursor !== null);
      const consumers = new Set(items.filter((k) => k.status === 'active').map((k) => k.consumer.id));
      if (values.json === true) {
        io.stdout.write(jsonText({ items, consumers_with_active_hmac_keys: consumers.size }) + '\n');
        return 0;
      }
      for (const key of items) {
        io.stdout.write(`${key.consumer.id}  ${shown(key.consumer.name)}  `);
        printKey(key, io);
      }
      io.stderr.write(`${items.length} HMAC key(s); ${consumers.size} consumer(s) still hold an active HMAC key\n`);
      return 0;
    });
  },
};
