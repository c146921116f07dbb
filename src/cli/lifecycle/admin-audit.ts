import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import type { Command } from '../command.js';
import { JSON_HELP, parseSince } from './flags.js';
import { printPage } from './session.js';
import { shown } from '../terminal-text.js';

interface AuditJson {
  at: string;
  actor: string;
  action: string;
  target: { type: string; id: string };
  request_id: string | null;
  source_ip: string | null;
}

export const adminAuditCommand: Command = {
  path: ['admin', 'audit'],
  summary: 'Show the audit log, newest first',
  usage: `signet admin audit [--since 1h|TIME] [--until TIME] [--consumer ID] [--action A] [--actor KID] [--limit N] [--cursor C] [--json] [--profile NAME]

  --since T       entries at or after T: an ISO time, or a duration ago (90m, 24h, 7d)
  --until T       entries before T
  --consumer ID   entries about this consumer and its keys
  --action A      e.g. key.revoke, consumer.disable
  --actor KID     entries by this key (or local-operator)
  --limit N       page size, 1 to 200 (default 50)
  --cursor C      continue after a previous page
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    until: { type: 'string' },
    consumer: { type: 'string' },
    action: { type: 'string' },
    actor: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const query = new URLSearchParams();
    const now = Date.now();
    if (typeof values.since === 'string') query.set('since', parseSince(values.since, '--since', now));
    if (typeof values.until === 'string') query.set('until', parseSince(values.until, '--until', now));
    return printPage(values, io, '/admin/v1/audit', query, ['consumer', 'action', 'actor', 'limit', 'cursor'], (e: AuditJson) => {
      io.stdout.write(`${e.at}  ${e.action.padEnd(22)}  ${e.target.type} ${shown(e.target.id)}  by ${shown(e.actor)}${e.source_ip === null ? '' : ` from ${e.source_ip}`}\n`);
    });
  },
};
