/**
 * Checks a kafclaw command line against the CLI's own `--help`, run through the launcher once per
 * subcommand: every subcommand word and every flag it uses must be listed there.
 *
 * @module
 */
import { kafclawCommand } from "./cli.ts";

/** What one `--help` lists. */
export interface Help {
  /** Subcommand names (aliases included). */
  readonly commands: ReadonlySet<string>;
  /** Flags, each mapped to whether it takes a value. */
  readonly options: ReadonlyMap<string, boolean>;
  /** How many arguments its Usage line takes (Infinity for a variadic one). */
  readonly maxArgs: number;
}

/** Reads commander's help text: the entries of its `Options:` and `Commands:` sections. */
export function parseHelp(text: string): Help {
  const commands = new Set<string>();
  const options = new Map<string, boolean>();
  let section = "";
  let maxArgs = 0;
  const usage = /^Usage: \S+((?: \S+)*)$/m.exec(text)?.[1] ?? "";
  for (const word of usage.trim().split(" ")) {
    if (word === "[options]" || word === "[command]" || !/^[<[]/.test(word)) continue;
    maxArgs = word.includes("...") ? Infinity : maxArgs + 1;
  }
  for (const line of text.split("\n")) {
    if (/^\S.*:$/.test(line)) {
      section = line;
      continue;
    }
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line)?.[1];
    if (!entry) continue;
    if (section === "Commands:") {
      for (const name of entry.split(" ")[0]!.split("|")) commands.add(name);
    } else if (section === "Options:") {
      const takesValue = /[<[]/.test(entry);
      for (const part of entry.split(/,\s*/)) {
        const flag = part.split(" ")[0]!;
        if (flag.startsWith("-")) options.set(flag, takesValue);
      }
    }
  }
  return { commands, options, maxArgs };
}

/** Runs `scripts/kafclaw PATH --help`, at most once per path. */
export class HelpCache {
  readonly #cache = new Map<string, Promise<Help>>();

  /** The help of the subcommand `path` (empty for the program itself). */
  help(path: readonly string[]): Promise<Help> {
    const key = path.join(" ");
    let help = this.#cache.get(key);
    if (!help) {
      help = (async () => {
        const out = await kafclawCommand([...path, "--help"], {}, { relative: true }).output();
        const text = new TextDecoder().decode(out.stdout);
        if (out.code !== 0) {
          throw new Error(
            `scripts/kafclaw ${key} --help exited ${out.code}: ${text.slice(0, 200)}`,
          );
        }
        return parseHelp(text);
      })();
      this.#cache.set(key, help);
    }
    return help;
  }

  /**
   * What in `args` (a kafclaw command line without the program) its help does not list: one
   * line per unknown subcommand or flag, and for more arguments than the Usage line takes.
   * Subcommand words are followed while they name a subcommand; the program's own options count
   * for every subcommand.
   */
  async problems(args: readonly string[]): Promise<string[]> {
    const root = await this.help([]);
    const path: string[] = [];
    let help = root;
    let descending = true;
    /** Arguments given to the subcommand reached; undefined after alternatives. */
    let given: number | undefined = 0;
    const problems: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const word = args[i]!;
      if (word === "--") break;
      if (word.startsWith("-") && word !== "-") {
        const flag = word.split("=")[0]!;
        const takesValue = help.options.get(flag) ?? root.options.get(flag);
        if (takesValue === undefined) {
          problems.push(`kafclaw ${path.join(" ")}: no flag ${flag} in its --help`);
        } else if (takesValue && !word.includes("=")) i++;
        continue;
      }
      if (descending && word.includes("|") && help.commands.size > 0) {
        // Alternatives (`list|show`): each must be a subcommand here; what follows is not walked.
        // Where there are no subcommands they are an argument's values (`bash|zsh`).
        for (const alternative of word.split("|").filter((a) => !help.commands.has(a))) {
          problems.push(`kafclaw ${path.join(" ")}: no subcommand ${alternative} in its --help`);
        }
        descending = false;
        given = undefined;
      } else if (descending && help.commands.has(word)) {
        path.push(word);
        help = await this.help(path);
      } else {
        if (descending && help.commands.size > 0) {
          problems.push(`kafclaw ${path.join(" ")}: no subcommand ${word} in its --help`);
          given = undefined;
        }
        descending = false;
        if (given !== undefined && ++given > help.maxArgs) {
          problems.push(
            `kafclaw ${path.join(" ")}: takes ${help.maxArgs} argument(s), given ${word}`,
          );
        }
      }
    }
    return problems;
  }
}
