/**
 * The doctor's look at the MCP servers of `mcp.json`, one line each. A stdio server: whether it
 * would start, found out without starting it. A sandboxed server's sandbox is set up with its
 * grants and asked only whether its command is there (one short bubblewrap start each); an
 * unsandboxed server's absolute command must be an executable file, and a bare one is looked up
 * on PATH only when the agent starts it. An HTTP server is asked to `initialize` (mcp_http.ts),
 * unless doctor runs offline. Every failed line names the fix.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import {
  grantsOf,
  type McpServerConfig,
  type McpStdioConfig,
  readMcpConfig,
} from "../tools/mod.ts";
import { bwrapMcpWrapper, type McpWrapper } from "../tools/sandbox/mod.ts";
import type { CheckResult } from "./mod.ts";
import { MCP_HTTP_TIMEOUT_MS, mcpHttpCheck, shownUrl } from "./mcp_http.ts";

/** Prepares the wrapper of sandboxed servers in `stateDir`; throws when bubblewrap cannot run. */
export type McpWrapperFactory = (stateDir: string) => Promise<McpWrapper>;

const CHECK = "mcp";

/** How {@link mcpChecks} reaches HTTP servers. */
export interface McpCheckOptions {
  /** Contact no HTTP server: each gets a `skip` line. */
  readonly offline?: boolean;
  /** How long each HTTP server has to answer `initialize` (default 10 s). */
  readonly httpTimeoutMs?: number;
}

/** One line per enabled server of mcp.json, in its order; none without servers. */
export async function mcpChecks(
  config: ResolvedConfig,
  wrapperOf: McpWrapperFactory = (stateDir) => bwrapMcpWrapper({ stateDir }),
  options: McpCheckOptions = {},
): Promise<CheckResult[]> {
  let all: McpServerConfig[];
  try {
    all = (await readMcpConfig(config.home)).filter((s) => s.enabled);
  } catch (error) {
    return [{ check: CHECK, status: "fail", detail: (error as Error).message }];
  }
  const servers = all.filter((s): s is McpStdioConfig => s.transport === "stdio");
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
    for (const server of all) {
      if (server.transport === "http") {
        results.push(
          options.offline
            ? {
              check: CHECK,
              status: "skip",
              detail: `${server.name}: ${shownUrl(server.url)} not contacted (--offline)`,
            }
            : await mcpHttpCheck(server, options.httpTimeoutMs ?? MCP_HTTP_TIMEOUT_MS),
        );
      } else {
        results.push(
          server.unsandboxed ? await unsandboxed(server) : await confined(server, wrapper!),
        );
      }
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
    : { check: CHECK, status: "fail", detail: `${name}: cannot start: ${why}`, hint: fixOf(name) };
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
    : {
      check: CHECK,
      status: "fail",
      detail: `${name}: cannot start: ${command} ${problem}`,
      hint: fixOf(name),
    };
}

/** The fix of a stdio server that cannot start. */
function fixOf(name: string): string {
  return `fix the command or the grants of ${name} in mcp.json, or set "enabled": false for it`;
}
