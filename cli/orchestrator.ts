/**
 * `kafclaw orchestrator`: the hierarchy of the group's nodes as its orchestrator topic says (read
 * whole, each record believed as a member would believe it: what is true for the group, not what
 * one process holds). `status` is this agent's node, the group's nodes by liveness and this
 * agent's zones (by the zone records, and in a signed group its certificate);
 * `hierarchy` the tree; `set-parent <agent> <parent>` writes the agent's set-parent record, signed
 * with this home's key (only a node's own home may: the protocol drops a node record whose sender
 * is another agent), after refusing an unknown parent and a cycle; `dispatch "<task>"` sends a task
 * to a live node below this one in the zone (core/orchestrator `dispatchTarget`, members by the
 * zone records), through the group's task path (`kafclaw task submit --to`, into the zone's inbox
 * for a zone other than `public`). Every one has `--json`.
 *
 * @module
 */
import { Command } from "commander";
import type { ResolvedConfig } from "../core/config/mod.ts";
import { RecordSigner, type ZoneDirectory } from "../core/group/mod.ts";
import {
  DispatchError,
  dispatchTarget,
  nodeJson,
  type PlacedNode,
  type ReadNodes,
  readNodes,
  setParentRecord,
  wouldCycle,
  zoneMembersOf,
} from "../core/orchestrator/mod.ts";
import type { CliContext } from "./_context.ts";
import { CliError, failure, UsageError } from "./_errors.ts";
import {
  agentCredentials,
  agentIdOf,
  groupConfig,
  groupTransport,
  pinnedOwnerKey,
} from "./_group.ts";
import { submitTask } from "./_task_run.ts";
import { zoneId } from "./_zone_id.ts";

/** `kafclaw orchestrator`: the hierarchy's nodes, parents and dispatch. */
export function orchestratorCommand(ctx: CliContext): Command {
  const command = new Command("orchestrator")
    .description("the group's hierarchy of nodes: status, hierarchy, set-parent, dispatch");
  command.command("status")
    .description(
      "this agent's node (role, parent, liveness, nodes below) and the group's nodes and zones",
    )
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { config, agentId, read } = await nodesOf(ctx);
      const placed = read.hierarchy.get(agentId);
      const below = placed ? read.hierarchy.subtree(agentId) : [];
      const children = placed ? read.hierarchy.children(agentId) : [];
      const nodes = read.hierarchy.nodes();
      const count = (liveness: string) => nodes.filter((n) => n.liveness === liveness).length;
      const group = {
        nodes: nodes.length,
        active: count("active"),
        stale: count("stale"),
        live_members: read.members.filter((m) => m.status === "active").length,
      };
      const zones = read.zones.zonesOf(agentId);
      if (opts.json) {
        ctx.io.out(JSON.stringify(
          {
            group: config.group.name,
            agent_id: agentId,
            node: placed ? nodeJson(placed, read.zones) : null,
            children: children.map((c) => c.node.agentId),
            subtree: below.map((c) => c.node.agentId),
            zones,
            nodes: group,
          },
          null,
          2,
        ));
        return;
      }
      const about = `group "${config.group.name}": ${group.nodes} node(s), ${group.active} ` +
        `active, ${group.stale} stale; ${group.live_members} live member(s); "${agentId}" in ` +
        `zone(s) ${zones.join(",")}`;
      if (placed === undefined) {
        ctx.io.out(
          `"${agentId}" has no active node in group "${config.group.name}": run ` +
            `${config.command} gateway with orchestrator.enabled (full mode)\n${about}`,
        );
        return;
      }
      ctx.io.out(
        `${line(placed, read.zones)}\n  children ${
          names(children)
        }  below ${below.length}\n${about}`,
      );
    });
  command.command("hierarchy")
    .description("the tree of the group's active and stale nodes")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { config, read } = await nodesOf(ctx);
      const nodes = read.hierarchy.nodes();
      if (opts.json) {
        ctx.io.out(
          JSON.stringify(
            { group: config.group.name, nodes: nodes.map((p) => nodeJson(p, read.zones)) },
            null,
            2,
          ),
        );
        return;
      }
      const lines = [`group "${config.group.name}": ${nodes.length} node(s)`];
      const walk = (parent: string | undefined, depth: number) => {
        for (const p of nodes.filter((n) => n.parentId === parent)) {
          lines.push(`${"  ".repeat(depth + 1)}${line(p, read.zones)}`);
          walk(p.node.agentId, depth + 1);
        }
      };
      walk(undefined, 0);
      ctx.io.out(lines.join("\n"));
    });
  command.command("set-parent")
    .description("make <parent> the parent of <agent> (run in <agent>'s own home)")
    .argument("<agent>", "the node whose parent changes: this home's agent")
    .argument("<parent>", "its new parent, a node of the group")
    .option("--json", "print as JSON")
    .action((agent: string, parent: string, opts: { json?: boolean }) =>
      setParent(ctx, agent, parent, opts)
    );
  command.command("dispatch")
    .description("send a task to a live node below this one (through the group's task path)")
    .argument("<task>", "what the task asks")
    .option("--zone <zone>", "only nodes of this zone may take it", "public")
    .option("--wait", "wait for the answer and print it")
    .option("--json", "print as JSON")
    .action(async (task: string, opts: { zone: string; wait?: boolean; json?: boolean }) => {
      zoneId(opts.zone, "--zone");
      const { agentId, read } = await nodesOf(ctx);
      let target: string;
      try {
        target = dispatchTarget({
          hierarchy: read.hierarchy,
          from: agentId,
          workers: { live: () => read.members.filter((m) => m.status === "active") },
          zone: opts.zone,
          zoneMembers: zoneMembersOf(read.zones),
        });
      } catch (error) {
        if (error instanceof DispatchError) throw new CliError(error.message);
        throw error;
      }
      await submitTask(ctx, task, {
        to: target,
        zone: opts.zone,
        ...(opts.wait ? { wait: true } : {}),
        ...(opts.json ? { json: true } : {}),
      }, { zones: read.zones });
    });
  return command;
}

async function setParent(
  ctx: CliContext,
  agent: string,
  parent: string,
  opts: { json?: boolean },
): Promise<void> {
  const { config, agentId, read } = await nodesOf(ctx);
  const what = `Cannot set the parent of "${agent}"`;
  if (agent !== agentId) {
    throw new UsageError(
      `${what}: only its own home may (this home is "${agentId}"); run it where "${agent}" runs`,
    );
  }
  const nodes = read.table.nodes();
  if (read.table.get(parent) === undefined) {
    throw new UsageError(`${what}: no node "${parent}" in group "${config.group.name}"`);
  }
  if (parent === agent) throw new UsageError(`${what} to itself: a node is not its own parent`);
  if (wouldCycle(nodes, agent, parent)) {
    throw new UsageError(
      `${what} to "${parent}": "${parent}" is below "${agent}", so the tree would have a cycle`,
    );
  }
  const known = read.table.get(agent);
  const zone = config.orchestrator.zoneId;
  const record = setParentRecord(config.group.name, {
    agent_id: agent,
    agent_name: known?.agentName ?? agent,
    role: known?.role ?? config.orchestrator.role,
    zones: known?.zones ?? (zone === undefined ? ["public"] : ["public", zone]),
    endpoint: known?.endpoint ?? config.orchestrator.endpoint ?? "",
  }, parent);
  const { key, certificate } = await agentCredentials(config);
  const signer = new RecordSigner(
    config.group.security === "signed"
      ? { keyId: agent, privateKey: key.privateKey, ...(certificate ? { certificate } : {}) }
      : undefined,
  );
  const transport = await groupTransport(config, agent);
  try {
    await transport.produce(await signer.sign([record]));
  } catch (error) {
    throw failure(error);
  } finally {
    await transport.close();
  }
  ctx.io.out(
    opts.json
      ? JSON.stringify({ group: config.group.name, agent_id: agent, parent_id: parent })
      : `"${agent}" now has parent "${parent}"`,
  );
}

/** The configuration, this agent's id and the nodes as the group's topics say. */
async function nodesOf(
  ctx: CliContext,
): Promise<{ config: ResolvedConfig; agentId: string; read: ReadNodes }> {
  const config = await groupConfig(ctx);
  const agentId = agentIdOf(config);
  const ownerKey = config.group.security === "signed" ? await pinnedOwnerKey(config) : undefined;
  const transport = await groupTransport(config, agentId);
  try {
    const read = await readNodes(transport, config.group.name, ownerKey ? { ownerKey } : {});
    return { config, agentId, read };
  } catch (error) {
    throw failure(error);
  } finally {
    await transport.close();
  }
}

/**
 * One node in a line: its zones are those of the zone records; those its node record claims
 * beyond them (its `orchestrator.zoneId`, which grants nothing) are said apart.
 */
function line(p: PlacedNode, zones: ZoneDirectory): string {
  const { node } = p;
  const member = zones.zonesOf(node.agentId);
  const claimed = node.zones.filter((zone) => !member.includes(zone));
  return `${node.agentId}  ${node.role}  ${p.liveness}  parent ${p.parentId ?? "-"}  zones ${
    member.join(",") || "-"
  }${claimed.length > 0 ? ` (claims ${claimed.join(",")}: not a member)` : ""}`;
}

function names(nodes: readonly PlacedNode[]): string {
  return nodes.map((n) => n.node.agentId).join(",") || "-";
}
