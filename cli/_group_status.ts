/**
 * `kafclaw group status` and `kafclaw group members`: the group as this KAFCLAW_HOME sees it. The
 * roster comes from the running agent's store while one runs here (it wrote `group.alive_at`
 * within 3 heartbeat intervals), else from the group's topics. Open mode is said loudly.
 *
 * @module
 */
import { Command } from "commander";
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import { memberTopicSpecs, ownerKey, readRoster, STALE_AFTER } from "../core/group/mod.ts";
import { decodeCertificate, importPublicKey } from "../core/protocol/mod.ts";
import type { CliContext } from "./_context.ts";
import { CliError } from "./_errors.ts";
import {
  agentCredentials,
  groupConfig,
  groupTransport,
  identityDir,
  needBrokers,
  topicOptions,
  trustedConfig,
} from "./_group.ts";

/** A member as the commands print it. */
interface MemberRow {
  readonly agent_id: string;
  readonly status: string;
  readonly load: { readonly running: number; readonly capacity: number };
  readonly skills: readonly string[];
  readonly last_seen: string;
}

const OPEN_WARNING = "OPEN MODE: records are not signed; anyone who can write to the group's " +
  "topics can speak as any agent";

/** The roster, and where it was read. */
async function roster(
  config: ResolvedConfig,
): Promise<{ source: "agent" | "topics"; members: MemberRow[] }> {
  const { Timeline } = await import("../core/timeline/mod.ts");
  {
    using timeline = Timeline.open(paths(config).timeline);
    const alive = timeline.settings.get("group.alive_at");
    const window = STALE_AFTER * config.group.heartbeatIntervalMs;
    if (alive !== undefined && Date.now() - Date.parse(alive) < window) {
      return {
        source: "agent",
        members: timeline.members.list().map((m) => ({
          agent_id: m.agentId,
          status: m.status,
          load: m.load,
          skills: m.skills,
          last_seen: m.lastSeen.toISOString(),
        })),
      };
    }
  }
  const pinned = config.group.ownerPublicKey;
  const key = config.group.security === "signed" && pinned !== undefined
    ? await importPublicKey(pinned).catch(() => undefined)
    : undefined;
  const transport = await groupTransport(needBrokers(config), config.group.agentId ?? "reader");
  try {
    const read = await readRoster(transport, config.group.name, key ? { ownerKey: key } : {});
    return {
      source: "topics",
      members: read.members.map((m) => ({
        agent_id: m.agentId,
        status: m.status,
        load: m.load,
        skills: m.skills,
        last_seen: new Date(m.lastSeen).toISOString(),
      })),
    };
  } catch (error) {
    throw new CliError((error as Error).message);
  } finally {
    await transport.close();
  }
}

/** `kafclaw group members`. */
export function membersCommand(ctx: CliContext): Command {
  return new Command("members")
    .description("list the group's members: the running agent's roster, else the group's topics")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      // A running gateway's roster needs no brokers: its group may be in its own process. Where
      // no gateway ever ran, there is no store to read, and none is made to find that out.
      const config = await trustedConfig(ctx);
      if (!await Deno.stat(paths(config).timeline).then(() => true, () => false)) {
        needBrokers(config);
      }
      const { source, members } = await roster(config);
      if (opts.json) {
        ctx.io.out(JSON.stringify({ group: config.group.name, source, members }, null, 2));
        return;
      }
      ctx.io.out(
        `group "${config.group.name}": ${members.length} member(s), from ${
          source === "agent" ? "the running agent" : "the group's topics"
        }`,
      );
      for (const m of members) {
        ctx.io.out(
          `  ${m.agent_id}  ${m.status}  load ${m.load.running}/${m.load.capacity}  skills ${
            m.skills.join(",") || "-"
          }  last seen ${m.last_seen}`,
        );
      }
    });
}

/** `kafclaw group status`. */
export function statusCommand(ctx: CliContext): Command {
  return new Command("status")
    .description("show the group's settings, this agent's certificate, the topics and the members")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await groupConfig(ctx);
      const g = config.group;
      const { certificate } = await agentCredentials(config);
      const decoded = certificate === undefined ? undefined : decodeCertificate(certificate);
      const cert = decoded?.ok ? decoded.certificate : undefined;
      const transport = await groupTransport(config, g.agentId ?? "status");
      let problems;
      try {
        problems = await transport.verifyTopics(
          memberTopicSpecs(g.name, {
            ...topicOptions(config),
            ...(g.agentId === undefined ? {} : { agentId: g.agentId }),
          }),
        );
      } catch (error) {
        throw new CliError((error as Error).message);
      } finally {
        await transport.close();
      }
      const { source, members } = await roster(config);
      const status = {
        group: g.name,
        enabled: g.enabled,
        security: g.security,
        ...(g.security === "open" ? { warning: OPEN_WARNING } : {}),
        onboard_mode: g.onboardMode,
        brokers: g.kafkaBrokers,
        agent_id: g.agentId ?? null,
        owner_key_pinned: g.ownerPublicKey !== undefined,
        owner_key_here: (await ownerKey(identityDir(config))) !== undefined,
        certificate: cert === undefined
          ? null
          : { not_after: cert.not_after, vouched: cert.vouched, issuer: cert.issuer },
        topic_problems: problems.map((p) => `${p.topic}: ${p.setting} is ${p.actual}`),
        members: {
          source,
          active: members.filter((m) => m.status === "active").length,
          stale: members.filter((m) => m.status === "stale").length,
        },
      };
      if (opts.json) {
        ctx.io.out(JSON.stringify(status, null, 2));
        return;
      }
      const lines = [
        `group "${g.name}" (${g.enabled ? "enabled" : "not enabled here"}), brokers ${
          g.kafkaBrokers.join(",")
        }`,
        g.security === "open" ? `WARNING: ${OPEN_WARNING}` : "security: signed",
        `onboarding: ${g.onboardMode}`,
        `this agent: ${g.agentId ?? "(no group.agentId)"}, ${
          cert === undefined
            ? `no certificate (${config.command} group join)`
            : `certificate until ${cert.not_after}${cert.vouched ? ", vouched" : ""}${
              cert.issuer ? ", issuer" : ""
            }`
        }`,
        `owner key: ${status.owner_key_pinned ? "pinned" : "not pinned"}${
          status.owner_key_here ? ", and held in this KAFCLAW_HOME" : ""
        }`,
        problems.length === 0
          ? "topics: all as the protocol needs"
          : `topics: ${problems.length} problem(s): ${status.topic_problems.join("; ")}`,
        `members: ${status.members.active} active, ${status.members.stale} stale (from ${
          source === "agent" ? "the running agent" : "the group's topics"
        })`,
      ];
      ctx.io.out(lines.join("\n"));
    });
}
