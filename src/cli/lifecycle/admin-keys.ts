import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import type { Command } from '../command.js';
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

Revokes the key; the very next request signed with it is refused. Revoking a revoked key is
harmless. --force is needed only to revoke the last active key of your own consumer.

  --force   allow revoking your own last active key
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [kid] = requirePositionals(positionals, ['KID']);
    return signedCall(values, io, ['POST', `/admin/v1/keys/${segment(kid!)}/revoke`, values.force === true ? { json: { force: true } } : {}], (key) => printKey(key, io));
  },
};
