import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { UsageError, type CliIo, type Command } from '../command.js';
import { JSON_HELP, parseSince } from '../lifecycle/flags.js';
import { segment, signedCall, withQuery } from '../lifecycle/session.js';
import { renderUsage, type UsageJson } from './render.js';

const QUERY_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  granularity: { type: 'string' },
  key: { type: 'string' },
  route: { type: 'string' },
  'status-class': { type: 'string' },
  'group-by': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Command['options'];

const QUERY_HELP = `  --since T            from T: an ISO time, or a duration ago (90m, 24h, 7d); default one span back
  --until T            until T (default now)
  --granularity G      minute, hour (default) or day; at most 1500 buckets
  --key KID            only this key
  --route R            only this route template, e.g. /v1/keys/:kid
  --status-class C     only 2xx, 4xx...`;

function usageQuery(values: Record<string, unknown>, extra: string[] = []): URLSearchParams {
  const query = new URLSearchParams();
  const now = Date.now();
  if (typeof values.since === 'string') query.set('from', parseSince(values.since, '--since', now));
  if (typeof values.until === 'string') query.set('to', parseSince(values.until, '--until', now));
  for (const [flag, param] of [['granularity', 'granularity'], ['key', 'key'], ['route', 'route'], ['status-class', 'status_class'], ['group-by', 'group_by'], ...extra.map((e) => [e, e])]) {
    if (typeof values[flag!] === 'string') query.set(param!, values[flag!] as string);
  }
  return query;
}

const columns = (io: CliIo) => (io.stdout as { columns?: number }).columns ?? 80;

const usageCommand: Command = {
  path: ['usage'],
  summary: 'Your usage (table and bar chart) and the state of your rate limits',
  usage: `signet usage [--since 24h] [--until T] [--granularity minute|hour|day] [--group-by key|route|status_class] [--json] [--profile NAME]

Shows your requests per bucket (by status class, latency, bytes) as a table and a bar chart, and
how much of each rate-limit window is left. Usage is written in batches, so the last few seconds
of other servers may be missing.

${QUERY_HELP}
  --group-by D         also total per key, route or status_class
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, ...QUERY_OPTIONS },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const query = usageQuery(values);
    return signedCall(values, io, ['GET', withQuery('/v1/usage', query)], (usage: UsageJson) => io.stdout.write(renderUsage(usage, columns(io))));
  },
};

const adminUsageCommand: Command = {
  path: ['admin', 'usage'],
  summary: 'Usage of all consumers, or one (admin API)',
  usage: `signet admin usage [--consumer ID] [--since 24h] [--granularity minute|hour|day] [--group-by consumer|key|route|status_class] [--json] [--profile NAME]

${QUERY_HELP}
  --consumer ID        only this consumer
  --group-by D         also total per consumer, key, route or status_class
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, ...QUERY_OPTIONS, consumer: { type: 'string' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const query = usageQuery(values, ['consumer']);
    return signedCall(values, io, ['GET', withQuery('/admin/v1/usage', query)], (usage: UsageJson) => io.stdout.write(renderUsage(usage, columns(io))));
  },
};

const adminPlansCommand: Command = {
  path: ['admin', 'plans'],
  summary: 'List the rate-limit plans the server is configured with',
  usage: `signet admin plans [--json] [--profile NAME]

Plans are configured on the server (SIGNET_PLANS); assign one with "signet admin consumers set-plan".

${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    return signedCall(
      values,
      io,
      ['GET', '/admin/v1/plans'],
      (list: { default_plan: string; plans: Array<{ name: string; description: string; windows: Array<{ name: string; limit: number; window: string }> }> }) => {
        for (const plan of list.plans) {
          const windows = plan.windows.length === 0 ? 'unlimited' : plan.windows.map((w) => `${w.name} ${w.limit}/${w.window}`).join(', ');
          io.stdout.write(`${plan.name}${plan.name === list.default_plan ? ' (default)' : ''}  ${windows}${plan.description === '' ? '' : `  — ${plan.description}`}\n`);
        }
      },
    );
  },
};

/** "--limit per_second=10/1s" (or "per_day=none/1d" to remove a plan window) as an override. */
function parseLimitFlag(text: string): { name: string; limit: number | null; window: string } {
  const match = /^([A-Za-z0-9_.-]{1,64})=(none|\d+)\/(\S+)$/.exec(text);
  if (match === null) throw new UsageError(`--limit must look like NAME=LIMIT/WINDOW (per_second=10/1s, per_day=none/1d), not "${text}".`);
  return { name: match[1]!, limit: match[2] === 'none' ? null : Number(match[2]), window: match[3]! };
}

const adminSetPlanCommand: Command = {
  path: ['admin', 'consumers', 'set-plan'],
  summary: "Set a consumer's rate-limit plan and per-consumer limits (admin API)",
  usage: `signet admin consumers set-plan CONSUMER_ID [PLAN | --default] [--limit NAME=LIMIT/WINDOW]... [--clear-limits] [--json] [--profile NAME]

Puts the consumer on PLAN (see "signet admin plans"), or back on the default plan with --default.
Each --limit overrides one window for this consumer only: the plan's window of the same name is
replaced, a new name adds a window, and LIMIT "none" removes the plan's window. The --limit flags
given replace all earlier overrides; --clear-limits removes them.

  --default                     the server's default plan (SIGNET_DEFAULT_PLAN)
  --limit NAME=LIMIT/WINDOW     e.g. per_second=10/1s, per_month=50000/month, per_day=none/1d (repeatable)
  --clear-limits                remove every per-consumer override
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, default: { type: 'boolean' }, limit: { type: 'string', multiple: true }, 'clear-limits': { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length === 0) throw new UsageError('CONSUMER_ID is required.');
    if (positionals.length > 2) throw new UsageError(`Unexpected argument "${positionals[2]}".`);
    const [id, plan] = positionals as [string, string | undefined];
    const limits = ((values.limit as string[] | undefined) ?? []).map(parseLimitFlag);
    if (plan !== undefined && values.default === true) throw new UsageError('Give PLAN or --default, not both.');
    if (limits.length > 0 && values['clear-limits'] === true) throw new UsageError('Give --limit or --clear-limits, not both.');
    const body: Record<string, unknown> = {};
    if (plan !== undefined) body.plan = plan;
    if (values.default === true) body.plan = null;
    if (limits.length > 0) body.rate_limits = limits;
    if (values['clear-limits'] === true) body.rate_limits = null;
    if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give PLAN, --default, --limit or --clear-limits.');
    return signedCall(
      values,
      io,
      ['PATCH', `/admin/v1/consumers/${segment(id)}`, { json: body }],
      (c: { id: string; plan: string | null; rate_limits: Array<{ name: string; limit: number | null; window: string }> | null }) => {
        io.stdout.write(`${c.id}  plan=${c.plan ?? '(default)'}\n`);
        for (const o of c.rate_limits ?? []) {
          io.stdout.write(`  ${o.name} ${o.limit === null ? 'removed' : `${o.limit}/${o.window}`}\n`);
        }
      },
    );
  },
};

export const USAGE_COMMANDS: readonly Command[] = [usageCommand, adminUsageCommand, adminPlansCommand, adminSetPlanCommand];
