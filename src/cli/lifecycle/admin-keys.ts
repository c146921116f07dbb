import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config.js';
import { SignetError } from '../../protocol/errors.js';
import { keyView } from '../../server/views.js';
import { describeDatabase } from '../../store/factory.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../store/types.js';
import { EXIT, UsageError, type CliIo, type Command } from '../command.js';
import { openLocalStores } from '../local-stores.js';
import { jsonText } from '../terminal-text.js';
import { JSON_HELP } from './flags.js';
import { printKey, type KeyJson } from './key-lines.js';
import { oneIdCommand, segment, signedCall } from './session.js';

export const adminKeysListCommand = oneIdCommand({
  path: ['admin', 'keys', 'list'],
  summary: "List a consumer's keys (admin API)",
  idName: 'CONSUMER_ID',
  method: 'GET',
  url: (id) => `/admin/v1/consumers/${id}/keys`,
  print: (list, io) => {
    for (const key of list.items as KeyJson[]) printKey(key, io);
  },
});

export const adminKeysRevokeCommand: Command = {
  path: ['admin', 'keys', 'revoke'],
  summary: 'Revoke any key at once (admin API)',
  usage: `signet admin keys revoke KID [--force] [--json] [--profile NAME]
       signet admin keys revoke KID --direct [--db FILE] [--json]

Revokes the key; the very next request signed with it is refused. Revoking a revoked key is
harmless. --force is needed only to revoke the last active key of your own consumer.

--direct is the emergency path, for when the API cannot take the request (Redis down answers
every signed request 503): run on the server host, it writes the revocation straight to the
database (SIGNET_DB or --db, or SIGNET_DATABASE_URL), audited as the local operator, and tells the
running servers through Redis when it can. Servers that cannot reach Redis keep cached keys at
most a second; servers that can, but did not hear it, at most SIGNET_KEY_CACHE_TTL_MS
(docs/deployment.md).

  --force   allow revoking your own last active key
  --direct  revoke in the database directly, without the API
  --db FILE SQLite database file for --direct (SIGNET_DB, default ./data/signet.sqlite)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, force: { type: 'boolean' }, json: { type: 'boolean' }, direct: { type: 'boolean' }, db: { type: 'string' } },
  async run({ values, positionals, io }) {
    const [kid] = requirePositionals(positionals, ['KID']);
    if (values.direct === true) return revokeDirectly(kid!, values, io);
    if (values.db !== undefined) throw new UsageError('--db goes with --direct.');
    return signedCall(values, io, ['POST', `/admin/v1/keys/${segment(kid!)}/revoke`, values.force === true ? { json: { force: true } } : {}], (key) => printKey(key, io));
  },
};

/** The emergency revocation: straight to the database through the credential service. */
async function revokeDirectly(kid: string, values: Record<string, unknown>, io: CliIo): Promise<number> {
  const config = loadConfig(typeof values.db === 'string' ? { db: values.db } : {});
  const local = await openLocalStores(config);
  try {
    const found = await local.stores.credentials.findKey(kid);
    if (found === undefined) throw new SignetError('not_found', { detail: `No key ${kid} in ${describeDatabase(config)}.` });
    await local.credentials.revokeKey(kid, LOCAL_OPERATOR_CONTEXT);
    const revoked = (await local.stores.credentials.findKey(kid))!.key;
    const view = keyView(revoked, systemClock.now());
    if (values.json === true) io.stdout.write(jsonText({ ...view, announced: local.announced() }) + '\n');
    else printKey(view, io);
    io.stderr.write(
      local.announced()
        ? 'revoked in the database; running servers were told through the event bus\n'
        : `revoked in the database; the event bus (Redis) could not be reached: servers that cannot reach it either drop cached keys within a second, servers that can within SIGNET_KEY_CACHE_TTL_MS (${config.keyCacheTtlMs} ms)\n`,
    );
  } finally {
    await local.close();
  }
  return EXIT.ok;
}
