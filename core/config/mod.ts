/**
 * Configuration: environment > `$KAFCLAW_HOME/config.json` > defaults, resolved once into a
 * frozen, fully filled {@link ResolvedConfig} that records where each value came from. The schema
 * generates the environment variable names (`group.kafkaBrokers` → `KAFCLAW_GROUP_KAFKA_BROKERS`),
 * validation names the key, the (masked) value, its source and what is allowed, and the mode
 * (standalone, group, full, headless) follows from the result.
 *
 * @example
 * ```ts
 * import { loadConfig, paths, resolveMode } from "./mod.ts";
 * const home = await Deno.makeTempDir();
 * const config = await loadConfig({ env: { KAFCLAW_HOME: home, KAFCLAW_GROUP_ENABLED: "yes" } });
 * console.assert(config.group.enabled && config.sources.get("group.enabled")?.kind === "env");
 * console.assert(paths(config).workspace === `${home}/workspace`);
 * console.assert(!resolveMode(config).ok); // group mode needs group.kafkaBrokers
 * await Deno.remove(home, { recursive: true });
 * ```
 *
 * @module
 */
export {
  type Config,
  CONFIG_SCHEMA,
  DM_POLICIES,
  type DmPolicy,
  type Provider,
  PROVIDERS,
} from "./schema.ts";
export {
  classifyPath,
  type ConfigKey,
  defaultText,
  describeKeys,
  ENV_ALIASES,
  type EnvAliasSpec,
  type EnvName,
  type EnvNameKind,
  type EnvVariable,
  envVariables,
  type KeyNode,
  KEYS,
  keysUnder,
  type KeyTable,
  type PathTarget,
  RESERVED_ENV,
  upperSnake,
} from "./keys.ts";
export {
  ConfigError,
  type ConfigIssue,
  ConfigKeyError,
  describeSource,
  formatIssue,
  MASK,
  maskSecret,
  type ValueSource,
} from "./errors.ts";
export {
  type ConfigFileLayer,
  type DeepReadonly,
  getAt,
  parseConfigFile,
  parseJsonFile,
  prepareStructured,
  resolveConfig,
  type ResolvedConfig,
  type ResolveOptions,
  resolvePrepared,
} from "./resolve.ts";
export {
  type ConfigFs,
  denoFs,
  loadConfig,
  type LoadConfigOptions,
  readConfigFile,
  writeConfigFile,
} from "./file.ts";
export {
  type EditOptions,
  setConfigValue,
  type SetResult,
  unknownKeyMessage,
  unsetConfigValue,
  type UnsetResult,
} from "./edit.ts";
export { COMMAND_ENV, commandName, DEFAULT_COMMAND } from "./command.ts";
export { loadStructuredSchemas } from "./_structured_load.ts";
export {
  agentWorkspacesOf,
  configFile,
  DEFAULT_WORKSPACE,
  type Env,
  type KafclawPaths,
  ksharkReportsDir,
  paths,
  resolveHome,
  resolvePath,
  WORKSPACE_ENV,
  workspaceOf,
  workspaceProblem,
} from "./paths.ts";
export {
  checkConfigTrust,
  type ConfigFileChange,
  UntrustedConfigError,
  watchConfigFile,
} from "./trust.ts";
export {
  isLoopback,
  type Mode,
  type ModeInputs,
  type ModeResult,
  MODES,
  resolveMode,
  withModeHost,
} from "./mode.ts";
export { MIN_NETWORK_SECRET, shortSecret } from "./network_secret.ts";
export {
  configValues,
  formatKeyView,
  type KeyView,
  keyViews,
  maskUnknown,
  type ViewOptions,
} from "./view.ts";
export {
  agentHome,
  AGENTS_DIR,
  agentScope,
  inProcessAgentId,
  type SwarmAgent,
  swarmAgents,
  swarmProblem,
} from "./agent_scope.ts";
