/**
 * `kafclaw group acl` and `kafclaw group gc`: the operator's side of a group on its Kafka. `acl`
 * prints the ACLs that give each agent's principal exactly its topics and consumer groups
 * (core/group acl.ts), and with `--apply` creates the missing ones and removes those a revoked
 * agent holds on the group's topics and groups; `gc` deletes the inbox and consumer groups of
 * agents gone longer than `--older-than` (core/group gc.ts). Both read the group's topics to
 * learn its agents, and run as this home's Kafka principal, which needs the rights to alter ACLs
 * or delete topics and groups.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import {
  type AclAgent,
  aclBindings,
  aclLine,
  formatDuration,
  ownerKey,
  planGc,
  principalOf,
  readSightingsAndZones,
  runGc,
  type Sightings,
  type ZoneDirectory,
} from "../core/group/mod.ts";
import { isAgentId } from "../core/protocol/mod.ts";
import { wire } from "../core/wire/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure, kafkaErrorText, UsageError } from "./_errors.ts";
import {
  groupAdmin,
  groupConfig,
  groupTransport,
  identityDir,
  pinnedOwnerKey,
  zoneList,
} from "./_group.ts";

/**
 * What the group's topics say of its agents, and its zones; in a signed group verified against the
 * pinned owner key, which must be set (a forged `leave` must not make a live agent look gone).
 */
async function sightingsOf(
  config: ResolvedConfig,
): Promise<Sightings & { zones: ZoneDirectory }> {
  const key = config.group.security === "signed" ? await pinnedOwnerKey(config) : undefined;
  const transport = await groupTransport(config, config.group.agentId ?? "operator");
  try {
    return await readSightingsAndZones(
      transport,
      config.group.name,
      key ? { ownerKey: key } : {},
    );
  } catch (error) {
    throw failure(error);
  } finally {
    await transport.close();
  }
}

/** A Kafka admin error as one line saying what to do. */
function adminError(error: unknown, what: string): Error {
  const type = (error as { type?: string }).type;
  const reason = type === "SECURITY_DISABLED"
    ? "the broker has no authorizer (authorizer.class.name is not set)"
    : type === "CLUSTER_AUTHORIZATION_FAILED" || type?.endsWith("_AUTHORIZATION_FAILED")
    ? `this home's Kafka principal is not allowed to (${type})`
    : kafkaErrorText(error);
  return failure(error, `Cannot ${what}: ${reason}`);
}

export interface AclOptions {
  agent?: string;
  owner?: string;
  zones?: string;
  apply?: boolean;
  json?: boolean;
}

/** `group acl`: prints (or with `apply` creates) the ACLs of each agent of the group. */
export async function groupAcl(ctx: CliContext, opts: AclOptions): Promise<void> {
  const config = await groupConfig(ctx);
  const g = config.group;
  for (const [flag, id] of [["--agent", opts.agent], ["--owner", opts.owner]] as const) {
    if (id !== undefined && !isAgentId(id)) {
      throw new UsageError(`${flag} "${id}" is not a valid agent id`);
    }
  }
  const owner = opts.owner ??
    ((await ownerKey(identityDir(config))) !== undefined ? g.agentId : undefined);
  if (opts.zones !== undefined && opts.agent === undefined) {
    throw new UsageError(
      "--zones needs --agent: without it each agent's zones come from its certificate and the zones' records",
    );
  }
  let ids: string[];
  // Revoked agents get no ACLs, and --apply takes away those they have (below).
  let revoked: string[] = [];
  const zonesOf = new Map<string, readonly string[]>();
  if (opts.agent !== undefined) {
    ids = [opts.agent];
    zonesOf.set(opts.agent, zoneList(opts.zones ?? ""));
  } else {
    const { agents, zones } = await sightingsOf(config);
    const named = [...agents.values()]
      .filter((s) => !s.revoked && (s.certified || s.lastAnnounce !== undefined));
    revoked = [...agents.values()].filter((s) => s.revoked).map((s) => s.agentId).sort();
    // The zones it is a member of. In a signed group that takes the zone's record and its
    // certificate (zonesOf asks both); in an open one the record, or a certificate's zones.
    const signed = config.group.security === "signed";
    for (const s of named) {
      const member = zones.zonesOf(s.agentId);
      zonesOf.set(s.agentId, signed ? member : [...new Set([...(s.zones ?? []), ...member])]);
    }
    ids = [
      ...new Set([...named.map((s) => s.agentId), ...(owner === undefined ? [] : [owner])]),
    ]
      .sort();
  }
  const agents: AclAgent[] = ids.map((agentId) => ({
    agentId,
    principal: principalOf(agentId, g.aclPrincipals),
    owner: agentId === owner,
    zones: zonesOf.get(agentId) ?? [],
  }));
  let acls;
  try {
    acls = aclBindings(g.name, agents);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // A principal another agent still holds keeps its ACLs (config's group.aclPrincipals).
  const held = new Set(agents.map((a) => a.principal));
  const shut = revoked.map((agentId) => principalOf(agentId, g.aclPrincipals))
    .filter((principal) => !held.has(principal));
  let created: number | undefined;
  let removed: number | undefined;
  if (opts.apply) {
    const admin = await groupAdmin(config);
    try {
      created = (await admin.createAcls(acls)).length;
      removed = 0;
      for (const principal of shut) {
        const theirs = (await admin.describeAcls(principal)).filter((a) => ofGroup(g.name, a));
        removed += await admin.deleteAcls(theirs);
      }
    } catch (error) {
      throw adminError(error, `change ACLs on ${g.kafkaBrokers.join(",")}`);
    } finally {
      await admin.close();
    }
  }
  if (opts.json) {
    ctx.io.out(JSON.stringify(
      {
        group: g.name,
        agents: agents.map(wire),
        acls: acls.map(wire),
        revoked,
        ...(created === undefined ? {} : { created, existing: acls.length - created, removed }),
      },
      null,
      2,
    ));
    return;
  }
  for (const agent of agents) {
    ctx.io.out(`# ${agent.agentId} as ${agent.principal}${agent.owner ? " (owner)" : ""}`);
    for (const acl of acls.filter((a) => a.principal === agent.principal)) {
      ctx.io.out(aclLine(acl));
    }
  }
  for (const agentId of revoked) {
    ctx.io.out(
      `# ${agentId} as ${principalOf(agentId, g.aclPrincipals)} (revoked): none` +
        (opts.apply ? "" : "; --apply removes those it has on the group"),
    );
  }
  if (agents.length === 0) ctx.io.err("kafclaw: the group's topics name no agent yet");
  if (created !== undefined) {
    ctx.io.err(
      `kafclaw: ${created} ACL(s) created, ${acls.length - created} already there` +
        (shut.length > 0 ? `; ${removed} of revoked agents removed` : ""),
    );
  }
}

/** Whether a binding is on one of group `group`'s topics (`group.<g>.…`) or groups (`kafclaw.<g>.…`). */
function ofGroup(group: string, acl: { readonly resourceName: string }): boolean {
  return acl.resourceName.startsWith(`group.${group}.`) ||
    acl.resourceName.startsWith(`kafclaw.${group}.`);
}

/** The flags of `group gc`. */
export interface GcOptions {
  /** How long gone, in ms (`--older-than`). */
  olderThan: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `group gc`: deletes (or with `dryRun` names) what agents gone longer than `olderThan` left. */
export async function groupGc(ctx: CliContext, opts: GcOptions): Promise<void> {
  const config = await groupConfig(ctx);
  const group = config.group.name;
  const sightings = await sightingsOf(config);
  const admin = await groupAdmin(config);
  let plan;
  let refused = new Map<string, string>();
  try {
    try {
      plan = planGc({
        group,
        olderThanMs: opts.olderThan,
        now: Date.now(),
        sightings,
        topics: await admin.listTopics(),
        groups: await admin.groups(`kafclaw.${group}.`),
      });
    } catch (error) {
      throw adminError(error, "list the group's topics and consumer groups");
    }
    if (!opts.dryRun) {
      refused = await runGc(admin, plan).catch((error) => {
        throw adminError(error, "delete them");
      });
    }
  } finally {
    await admin.close();
  }
  const collected = plan.collect.map((c) => ({
    agent_id: c.agentId,
    why: c.why,
    gone_since: new Date(c.goneSince).toISOString(),
    topics: c.topics,
    groups: c.groups,
  }));
  const result = {
    group,
    dry_run: opts.dryRun === true,
    collected,
    kept: plan.kept.map((k) => ({ agent_id: k.agentId, reason: k.reason })),
    state_groups: plan.stateGroups,
    not_deleted: Object.fromEntries(refused),
  };
  if (opts.json) {
    ctx.io.out(JSON.stringify(result, null, 2));
    return;
  }
  const verb = opts.dryRun ? "would delete" : "deleted";
  for (const c of plan.collect) {
    ctx.io.out(
      `${c.agentId}: ${c.why} ${formatDuration(Date.now() - c.goneSince)} ago; ${verb} ` +
        [...c.topics, ...c.groups].join(", "),
    );
  }
  for (const k of plan.kept) ctx.io.out(`${k.agentId}: kept (${k.reason})`);
  if (plan.stateGroups.length > 0) {
    ctx.io.out(`${verb} ${plan.stateGroups.length} per-run state group(s) with no member`);
  }
  for (const [id, why] of refused) ctx.io.err(`kafclaw: ${id} not deleted: ${why}`);
}
