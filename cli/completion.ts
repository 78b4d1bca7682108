/**
 * `kafclaw completion bash|zsh|fish`: prints a completion script made from the command tree, so it
 * never falls behind the commands.
 *
 * @module
 */
import { Command } from "commander";
import { UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

interface Node {
  readonly path: string[];
  readonly words: string[];
}

/** Every command path with the words (subcommands and long options) that may follow it. */
export function completionTable(program: Command): Node[] {
  const table: Node[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const words = [
      ...cmd.commands.map((c) => c.name()),
      ...cmd.options.map((o) => o.long).filter((l): l is string => typeof l === "string"),
      "--help",
    ];
    table.push({ path, words: [...new Set(words)] });
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return table;
}

function bash(table: Node[]): string {
  const cases = table.map((n) => `    "${n.path.join(" ")}") words="${n.words.join(" ")}" ;;`);
  return `# bash completion for kafclaw; load with: source <(kafclaw completion bash)
_kafclaw() {
  local cur path i w words=""
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    path="\${path:+$path }$w"
  done
  case "$path" in
${cases.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _kafclaw kafclaw
`;
}

function zsh(table: Node[]): string {
  return `#compdef kafclaw
# zsh completion for kafclaw; load with: source <(kafclaw completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(table)}`;
}

function fish(table: Node[]): string {
  const lines = ["# fish completion for kafclaw; load with: kafclaw completion fish | source"];
  lines.push("complete -c kafclaw -f");
  for (const node of table) {
    const cond = node.path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${node.path[node.path.length - 1]}`;
    for (const word of node.words) {
      lines.push(
        word.startsWith("--")
          ? `complete -c kafclaw -n '${cond}' -l ${word.slice(2)}`
          : `complete -c kafclaw -n '${cond}' -a ${word}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

const SHELLS = { bash, zsh, fish } as const;

/** The `completion` subcommand; it reads the finished program to describe it. */
export function completionCommand(ctx: CliContext, program: Command): Command {
  return new Command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      const render = SHELLS[shell as keyof typeof SHELLS];
      if (!render) throw new UsageError(`Unknown shell "${shell}": choose bash, zsh or fish`);
      ctx.io.out(render(completionTable(program)));
    });
}
