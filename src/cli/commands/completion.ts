import { EXIT, UsageError, type Command } from '../command.js';

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * A bash completion function built from the command table: after a group's words it offers the
 * group's next words, after a whole command its flags. Zsh runs the same function through its
 * bash compatibility layer (bashcompinit), so the two cannot drift apart.
 */
function bashCompletion(commands: readonly Command[]): string {
  const next = new Map<string, Set<string>>();
  for (const command of commands) {
    for (let i = 0; i < command.path.length; i++) {
      const group = command.path.slice(0, i).join(' ');
      if (!next.has(group)) next.set(group, new Set());
      next.get(group)!.add(command.path[i]!);
    }
  }
  const groupCases = [...next].map(([group, words]) => `    ${quote(group)}) words=${quote([...words].sort().join(' '))} ;;`);
  const commandCases = [...commands]
    .sort((a, b) => b.path.length - a.path.length)
    .map((command) => {
      const path = command.path.join(' ');
      const flags = Object.entries(command.options).flatMap(([name, option]) => [`--${name}`, ...(option.short !== undefined ? [`-${option.short}`] : [])]);
      return `    ${quote(path)}|${quote(path + ' ')}*) words=${quote([...flags, '--help'].join(' '))} ;;`;
    });
  return `# signet shell completion (bash). Load it with: source <(signet completion bash)
_signet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local typed="\${COMP_WORDS[*]:1:COMP_CWORD-1}"
  local words=""
  case "$typed" in
${groupCases.join('\n')}
${commandCases.join('\n')}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _signet signet
`;
}

function zshCompletion(commands: readonly Command[]): string {
  return `# signet shell completion (zsh). Load it with: source <(signet completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(commands).split('\n').slice(1).join('\n')}`;
}

/** `signet completion bash|zsh`; the command table is passed in lazily, since this command is in it. */
export function completionCommand(commands: () => readonly Command[]): Command {
  return {
    path: ['completion'],
    summary: 'Print a shell completion script (bash or zsh)',
    usage: `signet completion bash|zsh

Prints a script that completes signet's commands and flags. Load it in the current shell with
  source <(signet completion bash)      (or zsh)
or make it permanent by adding that line to ~/.bashrc (or ~/.zshrc).`,
    options: {},
    async run({ positionals, io }) {
      const [shell, extra] = positionals;
      if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}".`);
      if (shell === 'bash') io.stdout.write(bashCompletion(commands()));
      else if (shell === 'zsh') io.stdout.write(zshCompletion(commands()));
      else throw new UsageError(`Name the shell: bash or zsh${shell === undefined ? '' : `, not "${shell}"`}.`);
      return EXIT.ok;
    },
  };
}
