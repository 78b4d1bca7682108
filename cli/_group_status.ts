/**
 * `kafclaw group status`: the group's settings as this KAFCLAW_HOME sees them, this agent's
 * certificate, whether the group's topics are as the protocol needs, and the members counted from
 * the running agent's roster or the topics (cli/_group_members.ts). Open mode is said loudly.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import { memberTopicSpecs, ownerKey, securityMismatch } from "../core/group/mod.ts";
import { agentInbox, decodeCertificate, topicsFor } from "../core/protocol/mod.ts";
import { TopicMissingError, type TopicProblem } from "../core/transport/mod.ts";
import { errorChain } from "../core/errors/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure } from "./_errors.ts";
import {
  agentCredentials,
  groupConfig,
  groupTransport,
  identityDir,
  topicOptions,
} from "./_group.ts";
import { groupManifest, roster, type RosterRead } from "./_group_members.ts";

const OPEN_WARNING = "OPEN MODE: records are not signed; anyone who can write to the group's " +
  "topics can speak as any agent";

/** `group status`: settings, certificate, topics and members, in lines or as JSON. */
export async function groupStatus(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const config = await groupConfig(ctx);
  const g = config.group;
  const { certificate } = await agentCredentials(config);
  const decoded = certificate === undefined ? undefined : decodeCertificate(certificate);
  const cert = decoded?.ok ? decoded.certificate : undefined;
  const transport = await groupTransport(config, g.agentId ?? "status");
  const specs = memberTopicSpecs(g.name, {
    ...topicOptions(config),
    ...(g.agentId === undefined ? {} : { agentId: g.agentId }),
  });
  let problems;
  try {
    problems = await transport.verifyTopics(specs);
  } catch (error) {
    throw failure(error);
  } finally {
    await transport.close();
  }
  // A group whose topics are missing (not made yet, or another group.name) has no roster to
  // read: its status says which topics are missing, and no members.
  const missing = problems.some((p) => p.actual === "missing");
  const read: RosterRead = await roster(config).catch((error) => {
    const gone = errorChain(error).some((e) => e instanceof TopicMissingError);
    if (missing && gone) return { source: "topics", members: [] };
    throw error;
  });
  const { source, members } = read;
  // The group's own modes, as its owner signed them (not this home's config): read with the
  // roster from the topics, else on their own while its roster topic is there.
  const rosterTopic = topicsFor(g.name).roster;
  const rosterThere = !problems.some((p) => p.topic === rosterTopic && p.actual === "missing");
  const manifest = source === "topics"
    ? read.manifest
    : rosterThere
    ? await groupManifest(config)
    : undefined;
  const mismatch = securityMismatch(g.name, g.security, manifest, config.command);
  const status = {
    group: g.name,
    enabled: g.enabled,
    security: g.security,
    ...(g.security === "open" ? { warning: OPEN_WARNING } : {}),
    ...(mismatch === undefined ? {} : { security_mismatch: mismatch }),
    onboard_mode: manifest?.onboard_mode ?? g.onboardMode,
    manifest: manifest === undefined
      ? null
      : { security_mode: manifest.security_mode, onboard_mode: manifest.onboard_mode },
    brokers: g.kafkaBrokers,
    agent_id: g.agentId ?? null,
    owner_key_pinned: g.ownerPublicKey !== undefined,
    owner_public_key: g.ownerPublicKey ?? null,
    owner_key_here: (await ownerKey(identityDir(config))) !== undefined,
    certificate: cert === undefined
      ? null
      : { not_after: cert.not_after, vouched: cert.vouched, issuer: cert.issuer },
    topic_problems: problems.map((p) => problemLine(p, config)),
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
    // This home's mode against the group's: the one wrong, or the group's, said loudly when open.
    mismatch !== undefined
      ? `WARNING: ${mismatch}`
      : g.security === "open"
      ? `WARNING: ${OPEN_WARNING}`
      : "security: signed",
    `onboarding: ${status.onboard_mode}${
      manifest === undefined ? " (this home's config: the group has no manifest to read)" : ""
    }`,
    `this agent: ${g.agentId ?? "(no group.agentId)"}, ${
      cert === undefined
        ? `no certificate (${config.command} group join${
          status.onboard_mode === "gated" ? " --invite <an invite of the owner's>" : ""
        })`
        : `certificate until ${cert.not_after}${cert.vouched ? ", vouched" : ""}${
          cert.issuer ? ", issuer" : ""
        }`
    }`,
    `owner key: ${g.ownerPublicKey === undefined ? "not pinned" : `pinned, ${g.ownerPublicKey}`}${
      status.owner_key_here ? ", and held in this KAFCLAW_HOME" : ""
    }`,
    problems.length === 0
      ? "topics: all as the protocol needs"
      : problems.length === specs.length && problems.every((p) => p.actual === "missing")
      ? `topics: none of the group's ${specs.length} exist on these brokers ` +
        `(${config.command} group init makes them; is group.name right?)`
      : `topics: ${problems.length} problem(s): ${status.topic_problems.join("; ")}`,
    `members: ${status.members.active} active, ${status.members.stale} stale (from ${
      source === "agent" ? "the running agent" : "the group's topics"
    })`,
  ];
  ctx.io.out(lines.join("\n"));
}

/**
 * One topic's problem in words: a missing topic as such (this agent's own inbox with when it is
 * made: a newcomer that only got its certificate has none yet), else the setting, as it is and as
 * the protocol needs it.
 */
function problemLine(p: TopicProblem, config: ResolvedConfig): string {
  if (p.setting !== "existence") {
    return `${p.topic}: ${p.setting} is ${p.actual}, not ${p.expected}`;
  }
  const { name, agentId } = config.group;
  return agentId !== undefined && p.topic === agentInbox(name, agentId)
    ? `${p.topic}: missing (this agent's inbox: made when "${agentId}" first runs as a member)`
    : `${p.topic}: missing`;
}
