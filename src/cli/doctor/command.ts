import { EXIT, UsageError, type Command } from '../command.js';
import { runChecks, type Verdict } from './checks.js';

const LABEL: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export const doctorCommand: Command = {
  path: ['doctor'],
  summary: 'Check settings, database, migrations, Redis, public origin and clock, and say what to fix',
  usage: `signet doctor [--json]

Checks this machine's Signet setup with the same SIGNET_* settings the server uses: that the
settings are valid, the database answers (a missing SQLite file is reported, never created), every
migration is applied, Redis answers when configured, the public origin serves this Signet, and the
local clock agrees with the server's. Each problem comes with what to do about it.
Exit code 0 when nothing failed (warnings allowed), 1 otherwise.

  --json   print [{"check", "verdict", "found", "fix"}] as JSON`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const results = await runChecks({ fetch: (url, init) => fetch(url, init), now: () => Date.now() });
    if (values.json === true) {
      io.stdout.write(JSON.stringify(results) + '\n');
    } else {
      const width = Math.max(...results.map((r) => r.check.length));
      for (const r of results) {
        io.stdout.write(`${LABEL[r.verdict]}  ${r.check.padEnd(width)}  ${r.found}\n`);
        if (r.fix !== undefined) io.stdout.write(`      ${' '.repeat(width)}  fix: ${r.fix}\n`);
      }
    }
    return results.some((r) => r.verdict === 'fail') ? EXIT.internal : EXIT.ok;
  },
};
