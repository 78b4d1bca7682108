/**
 * The doctor's look at the stdio MCP servers of `mcp.json`: whether each would start, found out
 * without starting it. A sandboxed server's sandbox is set up with its grants and asked only
 * whether its command is there (one short bubblewrap start each); an unsandboxed server's
 * absolute command must be an executable file, and a bare one is looked up on PATH only when the
 * agent starts it. HTTP servers are not checked here: they are reached when the agent starts.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { grantsOf, type McpStdioConfig, readMcpConfig } from "../tools/mod.ts";
import { bwrapMcpWrapper, type McpWrapper } from "../tools/sandbox/mod.ts";
import type { CheckResult } from "./mod.ts";

/** Prepares the wrapper of sandboxed servers in `stateDir`; throws when bubblewrap cannot run. */
export type McpWrapperFactory = (stateDir: string) => Promise<McpWrapper>;

const CHECK = "mcp";

/** One line per enabled stdio server of mcp.json; none without such servers. */
export async function mcpChecks(
  config: ResolvedConfig,
  wrapperOf: McpWrapperFactory = (stateDir) => bwrapMcpWrapper({ stateDir }),
): Promise<CheckResult[]> {
  let servers: McpStdioConfig[];
  try {
    servers = (await readMcpConfig(config.home)).filter((s): s is McpStdioConfig =>
      s.transport === "stdio" && s.enabled
    );
  } catch (error) {
    return [{ check: CHECK, status: "fail", detail: (error as Error).message }];
  }
  const sandboxed = servers.filter((s) => !s.unsandboxed);
  let wrapper: McpWrapper | Error | undefined;
  let stateDir: string | undefined;
  if (sandboxed.length > 0) {
    // Removed below: doctor leaves nothing in KAFCLAW_HOME.
    stateDir = await Deno.makeTempDir({ dir: config.home, prefix: ".doctor-mcp-" });
    wrapper = await wrapperOf(stateDir).catch((error: Error) => error);
  }
  try {
    const results: CheckResult[] = [];
    for (const server of servers) {
      results.push(
        server.unsandboxed ? await unsandboxed(server) : await confined(server, wrapper!),
      );
    }
    return results;
  } finally {
    if (stateDir !== undefined) await Deno.remove(stateDir, { recursive: true });
  }
}

async function confined(server: McpStdioConfig, wrapper: McpWrapper | Error): Promise<CheckResult> {
  const name = server.name;
  if (wrapper instanceof Error) {
    return {
      check: CHECK,
      status: "fail",
      detail: `${name}: cannot start: it runs only in the sandbox, and ${wrapper.message}`,
      hint: `make bubblewrap work (see sandbox), or set "unsandboxed": true for ${name} in ` +
        "mcp.json to run it on the host, unconfined",
    };
  }
  const why = await wrapper.canStart(server.command, grantsOf(server));
  return why === undefined
    ? {
      check: CHECK,
      status: "ok",
      detail: `${name}: starts in the sandbox (bubblewrap): ${server.command} is there, ` +
        `${grantCount(server)}${server.network ? ", with the network" : ""}`,
    }
    : { check: CHECK, status: "fail", detail: `${name}: cannot start: ${why}` };
}

function grantCount(server: McpStdioConfig): string {
  const count = (n: number, what: string) => `${n} ${what} grant${n === 1 ? "" : "s"}`;
  return `${count(server.read.length, "read")} and ${count(server.write.length, "write")}`;
}

async function unsandboxed(server: McpStdioConfig): Promise<CheckResult> {
  const name = server.name;
  const command = server.command;
  const detail = `${name}: unsandboxed: runs on the host with your access`;
  if (!command.startsWith("/")) {
    return { check: CHECK, status: "ok", detail: `${detail} (${command} is looked up on PATH)` };
  }
  let problem: string | undefined;
  try {
    const info = await Deno.stat(command);
    if (!info.isFile) problem = "is not a file";
    else if (((info.mode ?? 0) & 0o111) === 0) problem = "is not executable";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) problem = "is not found";
    else if (error instanceof Deno.errors.NotCapable) problem = "may not be read by this process";
    else throw error;
  }
  return problem === undefined
    ? { check: CHECK, status: "ok", detail: `${detail} (${command})` }
    : { check: CHECK, status: "fail", detail: `${name}: cannot start: ${command} ${problem}` };
}
