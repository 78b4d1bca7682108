import { Command } from "commander";
import {
  classifyPath,
  commandName,
  ConfigError,
  configFile,
  ConfigKeyError,
  configValues,
  describeSource,
  type EnvVariable,
  envVariables,
  formatKeyView,
  getAt,
  keysUnder,
  keyViews,
  loadConfig,
  maskSecret,
  maskUnknown,
  paths,
  readConfigFile,
  type ResolvedConfig,
  resolveHome,
  setConfigValue,
  unknownKeyMessage,
  unsetConfigValue,
  type ValueSource,
} from "../core/config/mod.ts";
import { wire } from "../core/wire/mod.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import { table } from "./_table.ts";

/** `kafclaw config`: read and edit $KAFCLAW_HOME/config.json, list the environment variables. */
export function configCommand(ctx: CliContext): Command {
  const config = new Command("config").description(
    "read and edit the configuration (environment > $KAFCLAW_HOME/config.json > defaults)",
  );
  config.command("path")
    .description("print the path of the configuration file")
    .option("--all", "print every path under KAFCLAW_HOME (and the workspace)")
    .action(async (opts: { all?: boolean }) => {
      const env = ctx.env();
      if (!opts.all) return ctx.io.out(configFile(home(env)));
      const all = paths(await load(env));
      ctx.io.out(table(Object.entries(all).map(([name, path]) => [name, path])));
    });
  config.command("env")
    .description("list the environment variables, the keys they set, types and defaults")
    .option("--json", "print as JSON, with every name (deprecated MIKROBOT_ twins too)")
    .action((opts: { json?: boolean }) => {
      ctx.io.out(
        opts.json
          ? JSON.stringify(envVariables(undefined, { twins: true }).map(wire), null, 2)
          : envText(),
      );
    });
  config.command("get")
    .description("print the effective value of a key or section (secrets masked)")
    .argument("<key>", "dotted path: gateway.port, group, channels.telegram.allowFrom.0")
    .option("--source", "also print where each value came from")
    .option("--reveal", "print secrets as they are")
    .action(async (key: string, opts: { source?: boolean; reveal?: boolean }) => {
      ctx.io.out(await get(await load(ctx.env()), key, opts));
    });
  config.command("set")
    .description("set a key in the configuration file (validated before it is written)")
    .argument("<key>", "dotted path: gateway.port, channels.telegram.allowFrom.0, or a section")
    .argument("<value>", "the value: as in the environment for a key, JSON for a section")
    .action(async (key: string, value: string) => {
      const env = ctx.env();
      const at = home(env);
      const command = commandName(env);
      const result = await edit(at, () => setConfigValue(at, { path: key, value }, { command }));
      const shown = result.spec?.secret && typeof result.value === "string"
        ? maskSecret(result.value)
        : JSON.stringify(result.value);
      ctx.io.out(`${key} = ${shown}  (written to ${result.file})`);
      const target = classifyPath(key);
      const specs = target.kind === "section" ? keysUnder(target.node) : [result.spec!];
      for (const spec of specs) {
        const name = spec.envNames.find((n) => env[n.name]?.trim())?.name;
        if (name) ctx.io.err(`kafclaw: note: ${name} is set and takes precedence over ${spec.key}`);
      }
    });
  config.command("unset")
    .description("remove a key, section or list item from the configuration file")
    .argument("<key>", "dotted path")
    .action(async (key: string) => {
      const at = home(ctx.env());
      const result = await edit(at, () => unsetConfigValue(at, key));
      if (result.removed) ctx.io.out(`removed ${key} from ${result.file}`);
      else ctx.io.err(`kafclaw: ${key} is not in ${result.file}; nothing to remove`);
    });
  config.command("show")
    .description("print the effective configuration with the source of each value")
    .option("--reveal", "print secrets as they are")
    .option("--json", "print as JSON")
    .action(async (opts: { reveal?: boolean; json?: boolean }) => {
      const resolved = await load(ctx.env());
      for (const warning of resolved.warnings) ctx.io.err(`kafclaw: warning: ${warning}`);
      const view = { reveal: opts.reveal ?? false };
      if (opts.json) {
        const sources = [...resolved.sources].map(([key, source]) => [key, sourceText(source)]);
        ctx.io.out(JSON.stringify(
          {
            file: resolved.file,
            values: configValues(resolved, view),
            sources: Object.fromEntries(sources),
            unknown_keys: resolved.unknownKeys,
          },
          null,
          2,
        ));
      } else {
        ctx.io.out(
          [`# ${resolved.file}`, ...keyViews(resolved, view).map(formatKeyView)].join("\n"),
        );
      }
    });
  return config;
}

function home(env: Readonly<Record<string, string>>): string {
  return resolveHome(env);
}

function load(env: Readonly<Record<string, string>>): Promise<ResolvedConfig> {
  return loadConfig({ env, home: home(env) });
}

/** Runs an edit of the file; a failure to write names the file. */
async function edit<T>(at: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    // A value the user is assigning right now is theirs to fix (exit 2); the file's own, not.
    const mine = error instanceof ConfigError &&
      error.issues.some((issue) => issue.source.kind === "assigned");
    if (mine) throw new UsageError(error.message);
    if (error instanceof ConfigError || error instanceof ConfigKeyError) throw error;
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new CliError(`Cannot write ${configFile(at)}: ${(error as Error).message}`);
  }
}

async function get(
  config: ResolvedConfig,
  key: string,
  opts: { source?: boolean; reveal?: boolean },
): Promise<string> {
  const view = { reveal: opts.reveal ?? false };
  const target = classifyPath(key);
  const segments = key.split(".");
  if (target.kind === "section") {
    if (opts.source) return keyViews(config, { ...view, under: key }).map(formatKeyView).join("\n");
    return JSON.stringify(getAt(configValues(config, view), segments) ?? {}, null, 2);
  }
  if (target.kind === "unknown") {
    // Keys the schema does not know are kept in the file; show them from there.
    const file = await readConfigFile(config.file);
    const value = maskUnknown(segments[segments.length - 1]!, getAt(file?.value, segments), view);
    if (value === undefined) {
      throw new UsageError(unknownKeyMessage(key, config.command));
    }
    return printable(value) + (opts.source ? `  (from ${config.file}, not a known key)` : "");
  }
  const value = getAt(configValues(config, view), segments);
  if (value === undefined) throw new CliError(`${key} is not set`);
  const source = config.sources.get(target.spec.key)!;
  return printable(value) + (opts.source ? `  (${sourceText(source)})` : "");
}

function printable(value: unknown): string {
  if (typeof value === "string") return value;
  const flat = Array.isArray(value) && value.every((item) => typeof item !== "object");
  return JSON.stringify(value, null, flat ? undefined : 2);
}

function sourceText(source: ValueSource): string {
  return source.kind === "default" ? "default" : `from ${describeSource(source)}`;
}

/** The text of `kafclaw config env` (compared with tests/golden/config/env.txt). */
function envText(): string {
  const rows = envVariables();
  const main = rows.filter((r) => r.kind === "canonical");
  const others = rows.filter((r) => r.kind !== "canonical");
  const kinds: Record<EnvVariable["kind"], string> = {
    canonical: "",
    alias: "short alias",
    legacy: "deprecated",
    standard: "standard name",
  };
  return [
    "# Environment variables read by kafclaw. They override $KAFCLAW_HOME/config.json, which overrides the defaults.",
    "# Lists: comma-separated or a JSON array. Booleans: true/false, 1/0, yes/no. Empty values are ignored.",
    "# Each KAFCLAW_<NAME> is also read as MIKROBOT_<NAME> (deprecated; KAFCLAW_<NAME> wins when both are set).",
    table([
      ["NAME", "KEY", "TYPE", "SECRET", "DEFAULT"],
      ...main.map((r) => [r.name, r.key ?? "-", r.type, r.secret ? "yes" : "no", r.default]),
    ]),
    "",
    "# Other names, each weaker than the name it stands for:",
    table([
      ["NAME", "STANDS FOR", "KEY", "NOTE"],
      ...others.map((r) => [r.name, r.aliasOf!, r.key!, kinds[r.kind]]),
    ]),
  ].join("\n");
}
