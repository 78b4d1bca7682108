/**
 * `kafclaw zone create|delete|list|join|approve|deny|members`: the group's zones (PROTOCOL.md
 * semantics 9), as this home's agent. Every command reads the group's orchestrator topic whole
 * (verified against the pinned owner key in a signed group) to know the zones now; a change is
 * decided against them (core/group zone_changes.ts), signed with the agent's key and sent there.
 * `create` also makes the zone's seven topics with the group's topic settings. The creator owns the
 * zone; only the owner approves, denies (which removes a member) and deletes.
 *
 * @module
 */
import { Command } from "commander";
import type { ResolvedConfig } from "../core/config/mod.ts";
import {
  createZoneTopics,
  type ReadRoster,
  RecordSigner,
  type ZoneChange,
  ZoneChangeError,
  zoneChangeRecords,
  type ZoneDirectory,
} from "../core/group/mod.ts";
import type { Transport } from "../core/transport/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure, kafkaErrorText, UsageError } from "./_errors.ts";
import { defaultList } from "./_default_list.ts";
import { zoneId } from "./_zone_id.ts";
import {
  admitCommand,
  agentCredentials,
  agentIdOf,
  groupConfig,
  groupTransport,
  rosterNow,
  topicOptions,
} from "./_group.ts";

/** Runs `use` with the configuration, this agent's id, a transport and the zones now. */
async function withZones<T>(
  ctx: CliContext,
  use: (at: {
    config: ResolvedConfig;
    agentId: string;
    transport: Transport;
    zones: ZoneDirectory;
    read: ReadRoster;
  }) => Promise<T>,
): Promise<T> {
  const config = await groupConfig(ctx);
  const agentId = agentIdOf(config);
  const transport = await groupTransport(config, agentId);
  try {
    const read = await rosterNow(config, transport, { what: "zones" });
    return await use({ config, agentId, transport, zones: read.zones, read });
  } finally {
    await transport.close();
  }
}

/** Decides `change`, signs its records as this agent and sends them. */
async function change(ctx: CliContext, wanted: ZoneChange, json: boolean | undefined) {
  await withZones(ctx, async ({ config, agentId, transport, zones, read }) => {
    let records;
    try {
      records = zoneChangeRecords(zones, { group: config.group.name, agentId }, wanted);
    } catch (error) {
      if (error instanceof ZoneChangeError) throw new UsageError(error.message);
      throw error;
    }
    let made: string[] = [];
    if (wanted.kind === "create") {
      const place = { group: config.group.name, zoneId: wanted.zoneId };
      made = await createZoneTopics(transport, place, topicOptions(config)).catch((error) => {
        throw failure(
          error,
          `Cannot make the topics of zone "${wanted.zoneId}": ${kafkaErrorText(error)}`,
        );
      });
    }
    const signed = config.group.security === "signed";
    const { key, certificate } = signed
      ? await agentCredentials(config)
      : { key: undefined, certificate: undefined };
    if (signed && certificate === undefined) {
      throw new UsageError(
        `this agent has no certificate yet: join the group first (${config.command} group join)`,
      );
    }
    const signer = new RecordSigner(
      key && certificate ? { keyId: agentId, privateKey: key.privateKey, certificate } : undefined,
    );
    try {
      await transport.produce(await signer.sign(records));
    } catch (error) {
      throw failure(
        error,
        `Cannot send to group "${config.group.name}": ${kafkaErrorText(error)}`,
      );
    }
    const who = "agentId" in wanted ? wanted.agentId : agentId;
    if (
      (wanted.kind === "create" || wanted.kind === "approve") &&
      zones.certifies(who, wanted.zoneId) === false
    ) {
      const admit = admitCommand(config.command, who, wanted.zoneId, read.certificate(who));
      ctx.io.err(
        `note: "${who}" works in zone "${wanted.zoneId}" once its certificate names it: the ` +
          `group's owner runs ${admit}`,
      );
    }
    ctx.io.out(
      json
        ? JSON.stringify({
          action: wanted.kind,
          zone_id: wanted.zoneId,
          agent_id: who,
          topics_made: made,
        })
        : `${doneText(wanted, who)}${
          wanted.kind === "create" ? ` (${made.length} topic(s) made)` : ""
        }`,
    );
  });
}

function doneText(wanted: ZoneChange, who: string): string {
  const zone = JSON.stringify(wanted.zoneId);
  switch (wanted.kind) {
    case "create":
      return `made zone ${zone}, owned by ${who}`;
    case "delete":
      return `deleted zone ${zone}`;
    case "join":
      return `asked to join zone ${zone}; its owner approves or denies`;
    case "approve":
      return `approved ${who} in zone ${zone}`;
    case "deny":
      return `denied ${who} in zone ${zone}`;
  }
}

/** `kafclaw zone`. */
export function zoneCommand(ctx: CliContext): Command {
  const zone = new Command("zone").description(
    "the group's zones: work and memory that only their members see",
  );
  defaultList(zone)
    .description("every zone, its owner, members and waiting join requests")
    .option("--json", "print as JSON")
    .action((opts: { json?: boolean }) =>
      withZones(ctx, ({ zones }) => {
        const all = zones.all().map((z) => ({ ...z, requests: zones.requests(z.zone_id) }));
        if (opts.json) ctx.io.out(JSON.stringify({ zones: all }, null, 2));
        else {
          for (const z of all) {
            ctx.io.out(
              z.zone_id === "public"
                ? "public\tpublic\teveryone"
                : `${z.zone_id}\t${z.visibility}\towner ${z.owner_id}\t${z.members.length} member(s)` +
                  (z.requests.length > 0 ? `\t${z.requests.length} request(s)` : ""),
            );
          }
        }
        return Promise.resolve();
      })
    );
  zone.command("members")
    .description("a zone's members and the agents waiting for its owner's answer")
    .argument("<zone>", "the zone")
    .option("--json", "print as JSON")
    .action((id: string, opts: { json?: boolean }) =>
      withZones(ctx, ({ config, zones, read }) => {
        const found = zones.get(zoneId(id));
        if (found === undefined) throw new UsageError(`zone "${id}" does not exist`);
        const requests = zones.requests(id);
        // In a signed group, listed agents whose certificate does not name the zone are no members.
        const uncertified = found.members.filter((m) => zones.certifies(m, id) === false);
        if (opts.json) {
          ctx.io.out(
            JSON.stringify({
              zone_id: id,
              owner_id: found.owner_id,
              members: found.members,
              uncertified,
              requests,
            }),
          );
        } else if (id === "public") ctx.io.out("every member of the group");
        else {
          for (const m of found.members) {
            const notes = [
              ...(m === found.owner_id ? ["owner"] : []),
              ...(uncertified.includes(m) ? ["its certificate does not name the zone"] : []),
            ];
            ctx.io.out([m, ...notes].join("\t"));
          }
          for (const r of requests) ctx.io.out(`${r}\tasks to join`);
          for (const m of uncertified) {
            const admit = admitCommand(config.command, m, id, read.certificate(m));
            ctx.io.err(`note: the group's owner gives "${m}" the zone with ${admit}`);
          }
        }
        return Promise.resolve();
      })
    );
  zone.command("create")
    .description("make a zone (and its topics), owned by this agent")
    .argument("<zone>", "the zone's id: a-z, 0-9, _ and -")
    .option("--name <name>", "a name to show (default: the id)")
    .option("--visibility <v>", "private or shared (default private)")
    .option("--parent <zone>", "the zone it belongs to")
    .option("--json", "print as JSON")
    .action(
      (
        id: string,
        opts: { name?: string; visibility?: string; parent?: string; json?: boolean },
      ) => {
        const visibility = opts.visibility ?? "private";
        if (visibility !== "private" && visibility !== "shared") {
          throw new UsageError(`--visibility "${visibility}" is not private or shared`);
        }
        return change(ctx, {
          kind: "create",
          zoneId: zoneId(id),
          name: opts.name,
          visibility,
          parentZone: opts.parent === undefined ? undefined : zoneId(opts.parent, "--parent"),
        }, opts.json);
      },
    );
  zone.command("delete")
    .description("delete a zone this agent owns")
    .argument("<zone>", "the zone")
    .option("--json", "print as JSON")
    .action((id: string, opts: { json?: boolean }) =>
      change(ctx, { kind: "delete", zoneId: zoneId(id) }, opts.json)
    );
  zone.command("join")
    .description("ask a zone's owner to let this agent in")
    .argument("<zone>", "the zone")
    .option("--json", "print as JSON")
    .action((id: string, opts: { json?: boolean }) =>
      change(ctx, { kind: "join", zoneId: zoneId(id) }, opts.json)
    );
  for (const kind of ["approve", "deny"] as const) {
    zone.command(kind)
      .description(
        kind === "approve"
          ? "let an agent into a zone this agent owns"
          : "turn an agent's request down, or remove a member",
      )
      .argument("<zone>", "the zone")
      .argument("<agent>", "the agent")
      .option("--json", "print as JSON")
      .action((id: string, agent: string, opts: { json?: boolean }) =>
        change(ctx, { kind, zoneId: zoneId(id), agentId: agent }, opts.json)
      );
  }
  return zone;
}
