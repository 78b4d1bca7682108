/**
 * `kafclaw channels status`: each configured chat channel's state as the running gateway last
 * wrote it (`KAFCLAW_HOME/channels/status.json`, every few seconds): connected or not, and the
 * last error talking to the platform.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig } from "../core/config/mod.ts";
import { type ChannelsReport, STATUS_EVERY_MS, statusFile } from "../channels/mod.ts";
import { wire } from "../core/wire/mod.ts";
import { CliError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** A report older than this was left by a gateway that is no longer running. */
const STALE_MS = 3 * STATUS_EVERY_MS;

async function readReport(path: string): Promise<ChannelsReport | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof SyntaxError) throw new CliError(`Cannot read ${path}: it is not JSON`);
    throw error;
  }
}

/** `kafclaw channels`. */
export function channelsCommand(ctx: CliContext): Command {
  const channels = new Command("channels").description("the chat channels the gateway runs");
  channels.command("status")
    .description("each channel: enabled, connected, its last error")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await loadConfig({ env: ctx.env() });
      const report = await readReport(statusFile(config.home));
      const running = report !== undefined && report.stopped !== true &&
        Date.now() - Date.parse(report.updatedAt) < STALE_MS;
      const rows = Object.entries(config.channels).map(([name, settings]) => {
        const seen = running ? report.channels[name] : undefined;
        return {
          channel: name,
          enabled: settings.enabled,
          dmPolicy: settings.dmPolicy,
          connected: seen?.connected ?? false,
          ...(seen?.lastError ? { lastError: seen.lastError, lastErrorAt: seen.lastErrorAt } : {}),
          ...(seen?.listening ? { listening: seen.listening } : {}),
        };
      });
      if (opts.json) {
        // snake_case keys, as the API answers (core/wire).
        const json = { gateway_running: running, channels: rows.map(wire) };
        return ctx.io.out(JSON.stringify(json, null, 2));
      }
      if (!running) ctx.io.out("No gateway is running here: no channel is connected");
      for (const row of rows) {
        const state = !row.enabled
          ? "disabled"
          : row.connected
          ? `connected${row.listening ? ` (webhook on ${row.listening})` : ""}`
          : "not connected";
        ctx.io.out(
          `${row.channel}  ${state}  dmPolicy ${row.dmPolicy}` +
            (row.lastError ? `  last error ${row.lastErrorAt}: ${row.lastError}` : ""),
        );
      }
    });
  return channels;
}
