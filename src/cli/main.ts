import { parseArgs } from 'node:util';
import { ConfigError } from '../config.js';
import { SignetError } from '../protocol/errors.js';
import { EXIT, UsageError, type CliIo, type Command } from './command.js';
import { compareCommand } from './commands/compare.js';
import { consumersAddCommand } from './commands/consumers-add.js';
import { keygenCommand } from './commands/keygen.js';
import { migrateCommand } from './commands/migrate.js';
import { presignCommand } from './commands/presign.js';
import { profileAddCommand, profileListCommand, profileRemoveCommand, profileShowCommand } from './commands/profile.js';
import { requestCommand } from './commands/request.js';
import { serveCommand } from './commands/serve.js';
import { gatewayCommand } from './commands/gateway.js';
import { forwardAuthCommand } from './commands/forward-auth.js';
import { signCommand } from './commands/sign.js';
import { HMAC_COMMANDS } from './hmac/commands.js';
import { LIFECYCLE_COMMANDS } from './lifecycle/commands.js';
import { USAGE_COMMANDS } from './usage/commands.js';
import { commandWords, groupHelp, groupMembers, overview as overviewOf, suggestCommand } from './help/overview.js';
import { signetVersion } from './help/version.js';
import { completionCommand } from './commands/completion.js';
import { doctorCommand } from './doctor/command.js';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  migrateCommand,
  keygenCommand,
  consumersAddCommand,
  requestCommand,
  signCommand,
  presignCommand,
  profileAddCommand,
  profileListCommand,
  profileShowCommand,
  profileRemoveCommand,
  ...LIFECYCLE_COMMANDS,
  ...USAGE_COMMANDS,
  ...HMAC_COMMANDS,
  compareCommand,
  gatewayCommand,
  forwardAuthCommand,
  completionCommand(() => COMMANDS),
  doctorCommand,
];

const overview = (): string => overviewOf(COMMANDS);

/** No command matched: a command group's list (`signet admin`), or "did you mean", or the overview. */
function unknownCommand(argv: string[], io: CliIo): number {
  const words = commandWords(argv);
  const asked = argv.includes('--help') || argv.includes('-h');
  const suggestion = suggestCommand(COMMANDS, words);
  for (let n = words.length; n > 0; n--) {
    const members = groupMembers(COMMANDS, words.slice(0, n));
    if (members.length === 0) continue;
    if (asked && n === words.length) {
      io.stdout.write(groupHelp(words, members));
      return EXIT.ok;
    }
    const missing = n === words.length ? `"signet ${words.join(' ')}" needs a command` : `unknown command "signet ${words.join(' ')}"`;
    const hint = suggestion !== undefined ? `; did you mean "signet ${suggestion}"?` : '';
    io.stderr.write(`signet: ${missing}${hint}\n\n${groupHelp(words.slice(0, n), members)}`);
    return EXIT.usage;
  }
  if (suggestion !== undefined) {
    io.stderr.write(`signet: unknown command "${words.join(' ')}"; did you mean "signet ${suggestion}"?\nRun "signet --help" for every command.\n`);
    return EXIT.usage;
  }
  io.stderr.write(`signet: unknown command "${argv.join(' ')}"\n\n${overview()}`);
  return EXIT.usage;
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: argv.slice(best.path.length) };
}

/** Runs the CLI; returns the exit code. User errors print one sentence, never a stack trace. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(overview());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    io.stdout.write(`signet ${signetVersion()}\n`);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) return unknownCommand(argv, io);
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage + '\n');
    return EXIT.ok;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    return await command.run({ values: values as Record<string, string | boolean | string[] | undefined>, positionals, io });
  } catch (error) {
    return reportError(error, command, io);
  }
}

function reportError(error: unknown, command: Command, io: CliIo): number {
  const name = `signet ${command.path.join(' ')}`;
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`${name}: ${(error as Error).message}\n\nUsage: ${command.usage.split('\n')[0]}\n`);
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`${name}: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof SignetError) {
    io.stderr.write(`${name}: ${error.detail}\n`);
    return error.code === 'conflict' || error.code === 'invalid_request' || error.code === 'invalid_public_key' ? EXIT.invalidInput : EXIT.internal;
  }
  io.stderr.write(`${name}: unexpected failure: ${(error as Error).message ?? String(error)}\n`);
  return EXIT.internal;
}
