import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { EXIT, UsageError, type CliIo, type Command } from '../command.js';
import { printAnswer, reportFailure, withServer } from './api-client.js';
import { JSON_HELP, parseMetadata } from './flags.js';
import { oneIdCommand, printPage, segment, signedCall, signedSession } from './session.js';
import { jsonText, shown } from '../terminal-text.js';

interface ConsumerJson {
  id: string;
  name: string;
  status: string;
  plan: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  /** Only after a create or a rename whose name looks like another consumer's. */
  warnings?: Array<{ code: string; detail: string }>;
}

function printConsumer(c: ConsumerJson, io: CliIo): void {
  io.stdout.write(`${c.id}  ${c.status.padEnd(8)}  ${shown(c.name)}${c.plan === null ? '' : `  plan=${shown(c.plan)}`}\n`);
  for (const warning of c.warnings ?? []) io.stderr.write(`warning: ${shown(warning.detail)}\n`);
}

export const adminConsumersAddCommand: Command = {
  path: ['admin', 'consumers', 'add'],
  summary: 'Create a consumer (admin API)',
  usage: `signet admin consumers add NAME [--plan PLAN] [--metadata key=value]... [--json] [--profile NAME]

Creates a consumer without keys; give it a key with "signet admin enroll-code".

  --plan PLAN           rate-limit plan name
  --metadata key=value  a metadata entry (repeatable)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, plan: { type: 'string' }, metadata: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [name] = requirePositionals(positionals, ['NAME']);
    const metadata = parseMetadata(values.metadata);
    const session = await signedSession(values);
    return withServer(io, async () => {
      const answer = await session.api.call('POST', '/admin/v1/consumers', {
        json: { name, ...(typeof values.plan === 'string' ? { plan: values.plan } : {}), ...(metadata !== undefined ? { metadata } : {}) },
      });
      return printAnswer(answer, 201, values, io, (c) => printConsumer(c, io));
    });
  },
};

export const adminConsumersListCommand: Command = {
  path: ['admin', 'consumers', 'list'],
  summary: 'List consumers (admin API)',
  usage: `signet admin consumers list [--status active|disabled] [--plan PLAN] [--limit N] [--cursor C] [--json] [--profile NAME]

Lists consumers in creation order, one page at a time; the next page's cursor is printed last.

  --status S     only active or only disabled consumers
  --plan PLAN    only consumers on this plan
  --limit N      page size, 1 to 200 (default 50)
  --cursor C     continue after a previous page
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, status: { type: 'string' }, plan: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    return printPage(values, io, '/admin/v1/consumers', new URLSearchParams(), ['status', 'plan', 'limit', 'cursor'], (c: ConsumerJson) => printConsumer(c, io));
  },
};

export const adminConsumersShowCommand = oneIdCommand({
  path: ['admin', 'consumers', 'show'],
  summary: 'Show one consumer (admin API)',
  idName: 'CONSUMER_ID',
  method: 'GET',
  url: (id) => `/admin/v1/consumers/${id}`,
  print: (c: ConsumerJson, io) => {
    printConsumer(c, io);
    io.stdout.write(`created ${c.created_at}\nmetadata ${jsonText(c.metadata)}\n`);
  },
});

export const adminConsumersUpdateCommand: Command = {
  path: ['admin', 'consumers', 'update'],
  summary: "Change a consumer's name, plan or metadata (admin API)",
  usage: `signet admin consumers update CONSUMER_ID [--name NAME] [--plan PLAN|none] [--metadata key=value]... [--json] [--profile NAME]

  --name NAME           new name
  --plan PLAN           new rate-limit plan; "none" for the default plan
  --metadata key=value  replaces the whole metadata with these entries (repeatable)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, name: { type: 'string' }, plan: { type: 'string' }, metadata: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [id] = requirePositionals(positionals, ['CONSUMER_ID']);
    const metadata = parseMetadata(values.metadata);
    const patch = {
      ...(typeof values.name === 'string' ? { name: values.name } : {}),
      ...(typeof values.plan === 'string' ? { plan: values.plan === 'none' ? null : values.plan } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
    };
    if (Object.keys(patch).length === 0) throw new UsageError('Name something to change: --name, --plan or --metadata.');
    return signedCall(values, io, ['PATCH', `/admin/v1/consumers/${segment(id!)}`, { json: patch }], (c) => printConsumer(c, io));
  },
};

function statusCommand(action: 'disable' | 'enable'): Command {
  return oneIdCommand({
    path: ['admin', 'consumers', action],
    summary: action === 'disable' ? 'Disable a consumer: its keys are refused from the next request on' : 'Enable a disabled consumer again',
    idName: 'CONSUMER_ID',
    method: 'POST',
    url: (id) => `/admin/v1/consumers/${id}/${action}`,
    print: printConsumer,
  });
}

export const adminConsumersDisableCommand = statusCommand('disable');
export const adminConsumersEnableCommand = statusCommand('enable');

export const adminConsumersRmCommand: Command = {
  path: ['admin', 'consumers', 'rm'],
  summary: 'Delete a consumer and its keys (its audit history stays)',
  usage: `signet admin consumers rm CONSUMER_ID [--profile NAME]

${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS },
  async run({ values, positionals, io }) {
    const [id] = requirePositionals(positionals, ['CONSUMER_ID']);
    const session = await signedSession(values);
    return withServer(io, async () => {
      const answer = await session.api.call('DELETE', `/admin/v1/consumers/${segment(id!)}`);
      if (answer.status !== 204) return reportFailure(answer, io);
      io.stderr.write(`deleted ${id}\n`);
      return EXIT.ok;
    });
  },
};
