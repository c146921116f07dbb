import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import type { CliIo, Command } from '../command.js';
import { shown } from '../terminal-text.js';
import { JSON_HELP, parseScopes } from './flags.js';
import { oneIdCommand, segment, signedCall } from './session.js';

interface ConsumerDirectoryJson {
  id: string;
  key_directory: { url: string; scopes: string[] } | null;
}

function printDirectory(c: ConsumerDirectoryJson, io: CliIo): void {
  if (c.key_directory === null) io.stdout.write(`${c.id}  no key directory\n`);
  else io.stdout.write(`${c.id}  key directory ${shown(c.key_directory.url)}  [${c.key_directory.scopes.map(shown).join(',')}]\n  its keys sign as ${c.id}_<kid>\n`);
}

export const adminConsumersSetDirectoryCommand: Command = {
  path: ['admin', 'consumers', 'set-directory'],
  summary: "Register a consumer's key directory: a JWKS or Web Bot Auth directory URL (admin API)",
  usage: `signet admin consumers set-directory CONSUMER_ID URL [--scopes a,b] [--json] [--profile NAME]

The consumer publishes its public keys at URL (a JWKS, jwks_uri style, or a Web Bot Auth
http-message-signatures-directory) and signs with kid <CONSUMER_ID>_<the key's kid there>. The
URL must be https to a public address unless the server allows private networks.

  --scopes a,b     scopes every key of the directory gets (default: none)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, scopes: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id, url] = requirePositionals(positionals, ['CONSUMER_ID', 'URL']);
    const scopes = parseScopes(values.scopes);
    return signedCall(values, io, ['PUT', `/admin/v1/consumers/${segment(id!)}/key-directory`, { json: { url, ...(scopes !== undefined ? { scopes } : {}) } }], (c) => printDirectory(c, io));
  },
};

export const adminConsumersClearDirectoryCommand = oneIdCommand({
  path: ['admin', 'consumers', 'clear-directory'],
  summary: "Remove a consumer's key directory: its directory keys are refused from the next request on",
  idName: 'CONSUMER_ID',
  method: 'DELETE',
  url: (id) => `/admin/v1/consumers/${id}/key-directory`,
  print: printDirectory,
});
