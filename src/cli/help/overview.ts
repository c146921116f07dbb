import { distance } from 'fastest-levenshtein';
import type { Command } from '../command.js';

const table = (commands: readonly Command[]): string => {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`).join('\n');
};

/** `signet --help`: every command with its summary. */
export function overview(commands: readonly Command[]): string {
  return `signet: API authentication with per-request Ed25519 signatures\n\nUsage: signet COMMAND [options]\n\n${table(commands)}\n\nRun "signet COMMAND --help" for a command's options, "signet --version" for the version.\n`;
}

/** The leading words of argv that are not flags: what the user meant as a command path. */
export const commandWords = (argv: readonly string[]): string[] => {
  const end = argv.findIndex((word) => word.startsWith('-'));
  return [...(end < 0 ? argv : argv.slice(0, end))];
};

/** The commands under a group such as `admin` or `admin consumers`; empty when `words` names no group. */
export function groupMembers(commands: readonly Command[], words: readonly string[]): Command[] {
  if (words.length === 0) return [];
  return commands.filter((c) => c.path.length > words.length && words.every((word, i) => c.path[i] === word));
}

/** `signet admin --help`: the commands of one group. */
export function groupHelp(group: readonly string[], members: readonly Command[]): string {
  return `Usage: signet ${group.join(' ')} COMMAND [options]\n\n${table(members)}\n\nRun "signet ${group.join(' ')} COMMAND --help" for a command's options.\n`;
}

/**
 * What a mistyped command most likely meant ("did you mean"): among every command path and group
 * (each prefix of a path), compared with as many typed words, the longest one within a small edit
 * distance for its length, so that a typo deep in a path is fixed where it is and nonsense gets no
 * suggestion. Exact matches are not suggestions: they are the groups the caller lists instead.
 */
export function suggestCommand(commands: readonly Command[], words: readonly string[]): string | undefined {
  const candidates = new Set(commands.flatMap((c) => c.path.map((_, i) => c.path.slice(0, i + 1).join(' '))));
  let best: { text: string; words: number } | undefined;
  for (const text of candidates) {
    const length = text.split(' ').length;
    if (length > words.length) continue;
    const d = distance(text, words.slice(0, length).join(' '));
    if (d === 0 || d > Math.max(2, Math.floor(text.length / 3))) continue;
    if (best === undefined || length > best.words) best = { text, words: length };
  }
  return best?.text;
}
