/**
 * `kafclaw group`: make a group (`init`, on the owner's machine), let agents in (`invite` for a
 * gated group, `admit` for an agent that brings its own key), take part (`join`, in the
 * foreground until Ctrl-C or SIGTERM, leaving the group then; `leave`; both through this home's
 * gateway while it runs in the group: cli/_group_gateway.ts), look at it (`status`,
 * `members`), say what this agent offers (`skills`), and look after its Kafka (`acl`, `gc`).
 * Every one speaks JSON with `--json`.
 *
 * @module
 */
import { Command } from "commander";
import { paths } from "../core/config/mod.ts";
import type { ResolvedConfig } from "../core/config/mod.ts";
import {
  admit,
  announceRecord,
  certificateRecord,
  configuredInvite,
  GroupSetupError,
  initGroup,
  OnboardRejected,
  randomToken,
  RecordSigner,
  requestMembership,
  writeCertificate,
} from "../core/group/mod.ts";
import { decodeCertificate, importPublicKey, isAgentId } from "../core/protocol/mod.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import {
  agentCredentials,
  agentIdOf,
  groupConfig,
  groupTransport,
  identityDir,
  identityFor,
  pinnedOwnerKey,
  remember,
  requireOwnerKey,
  topicOptions,
  zoneList,
} from "./_group.ts";
import { membersCommand, statusCommand } from "./_group_status.ts";
import { aclCommand, gcCommand } from "./_group_ops.ts";
import { runMember } from "./_group_join.ts";
import { changeReport, groupGateway, joinThrough, leaveThrough } from "./_group_gateway.ts";
import { skillsCommand } from "./_group_skills.ts";
import { wholeNumber } from "./_numbers.ts";

/** `kafclaw group`: make, join, leave and inspect a group of agents over Kafka. */
export function groupCommand(ctx: CliContext): Command {
  const group = new Command("group")
    .description("make, join, leave and inspect a group of agents over Kafka");
  group.command("init")
    .description(
      "make the group: the owner key (kept here, 0600), every topic, this agent's certificate",
    )
    .option("--agent-id <id>", "this agent's id in the group (default group.agentId)")
    .option("--gated", "newcomers need a one-time invite (kafclaw group invite)")
    .option("--json", "print as JSON")
    .action(async (opts: { agentId?: string; gated?: boolean; json?: boolean }) => {
      const config = await groupConfig(ctx);
      const agentId = agentIdOf(config, opts.agentId);
      const onboardMode = opts.gated ? "gated" : config.group.onboardMode;
      const transport = await groupTransport(config, agentId);
      let made;
      try {
        made = await initGroup({
          group: config.group.name,
          agentId,
          identityDir: identityDir(config),
          transport,
          security: config.group.security,
          onboardMode,
          heartbeatIntervalMs: config.group.heartbeatIntervalMs,
          topics: topicOptions(config),
          command: config.command,
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      } finally {
        await transport.close();
      }
      await remember(config, {
        "group.enabled": "true",
        "group.agentId": agentId,
        "group.ownerPublicKey": made.ownerPublicKey,
        "group.onboardMode": onboardMode,
      });
      const result = {
        group: config.group.name,
        agent_id: agentId,
        owner_public_key: made.ownerPublicKey,
        security: config.group.security,
        onboard_mode: onboardMode,
        topics_created: made.created,
      };
      ctx.io.out(
        opts.json ? JSON.stringify(result, null, 2) : [
          `made group "${result.group}": ${made.created.length} topic(s) created, all checked`,
          `owner key: ${identityDir(config)}/owner.key (keep it safe; it signs every certificate)`,
          `members pin the owner's public key: KAFCLAW_GROUP_OWNER_PUBLIC_KEY=${made.ownerPublicKey}`,
          `this agent ("${agentId}") holds a certificate; ${config.command} group join runs it as a member`,
        ].join("\n"),
      );
    });
  group.command("invite")
    .description("make a one-time invite for a gated group (on the owner's machine)")
    .option("--valid-hours <n>", "how long it may be used", wholeNumber(), 24)
    .option("--json", "print as JSON")
    .action(async (opts: { validHours: number; json?: boolean }) => {
      const config = await groupConfig(ctx);
      await requireOwnerKey(config, "group invite");
      const { Timeline } = await import("../core/timeline/mod.ts");
      using timeline = Timeline.open(paths(config).timeline);
      const secret = randomToken();
      const expiresAt = new Date(Date.now() + opts.validHours * 3_600_000);
      const id = randomToken(6);
      timeline.invites.add({ id, group: config.group.name, secret, expiresAt });
      ctx.io.out(
        opts.json
          ? JSON.stringify({ id, invite: secret, expires_at: expiresAt.toISOString() }, null, 2)
          : [
            `invite ${id} for group "${config.group.name}", once, until ${expiresAt.toISOString()}:`,
            secret,
            // Another machine: its own name for the command is not known here.
            "the newcomer runs: kafclaw group join --invite <that invite>",
          ].join("\n"),
      );
    });
  group.command("admit")
    .description("issue a certificate to an agent that brings its own key (on the owner's machine)")
    .argument("<agent-id>", "the agent's id in the group")
    .requiredOption("--public-key <key>", "its Ed25519 public key: base64url of the raw 32 bytes")
    .option("--zones <zones>", "comma-separated zones", "public")
    .option("--vouched", "its records are trusted (not tainted)")
    .option("--issuer", "it may issue certificates itself")
    .option("--valid-days <n>", "how long the certificate holds", wholeNumber(), 365)
    .option("--json", "print as JSON")
    .action(async (agentId: string, opts: AdmitOptions) => {
      const config = await groupConfig(ctx);
      if (!isAgentId(agentId)) throw new UsageError(`agent id "${agentId}" is not valid`);
      const zones = zoneList(opts.zones);
      const owner = await requireOwnerKey(config, "group admit");
      await importPublicKey(opts.publicKey).catch(() => {
        throw new UsageError(`--public-key "${opts.publicKey}" is not 32 bytes of base64url`);
      });
      const bundle = await admit(owner.privateKey, {
        agentId,
        publicKey: opts.publicKey,
        zones,
        vouched: opts.vouched === true,
        issuer: opts.issuer === true,
        validDays: opts.validDays,
      });
      const transport = await groupTransport(config, agentIdOf(config));
      try {
        await transport.produce([
          await certificateRecord(config.group.name, owner.privateKey, agentId, bundle),
        ]);
      } finally {
        await transport.close();
      }
      const decoded = decodeCertificate(bundle);
      const notAfter = decoded.ok ? decoded.certificate.not_after : "";
      ctx.io.out(
        opts.json
          ? JSON.stringify({ agent_id: agentId, not_after: notAfter, certificate: bundle }, null, 2)
          : JSON.stringify(bundle),
      );
      if (!opts.json) {
        ctx.io.err(
          `kafclaw: admitted "${agentId}" until ${notAfter}; its certificate (above) is on the roster`,
        );
      }
    });
  group.command("join")
    .description(
      "join the group (a certificate first, from a sponsor), and stay until Ctrl-C; while this " +
        "home's gateway runs, it is the gateway that joins again",
    )
    .option("--agent-id <id>", "this agent's id in the group (default group.agentId)")
    .option(
      "--invite <invite>",
      "the owner's one-time invite, for a gated group (default group.invite)",
    )
    .option("--once", "get the certificate and turn the group on in config, without staying")
    .option("--json", "print as JSON")
    .action(async (opts: JoinOptions) => {
      const config = await groupConfig(ctx);
      const agentId = agentIdOf(config, opts.agentId);
      // A gateway of this home in the group is its member: it joins again, none starts beside it.
      const gateway = opts.once ? undefined : await groupGateway(config);
      if (gateway !== undefined) {
        const joined = await joinThrough(gateway, agentId);
        await remember(config, { "group.enabled": "true", "group.agentId": agentId });
        ctx.io.out(changeReport("joined", joined, opts.json === true));
        return;
      }
      const transport = await groupTransport(config, agentId);
      try {
        if (config.group.security === "signed") {
          await certificateFor(config, agentId, transport, opts);
        }
        await remember(config, { "group.enabled": "true", "group.agentId": agentId });
        if (opts.once) {
          ctx.io.out(
            opts.json
              ? JSON.stringify({ group: config.group.name, agent_id: agentId, joined: true })
              : `ready to join group "${config.group.name}" as "${agentId}"`,
          );
          return;
        }
        await runMember(ctx, config, agentId, transport, { json: opts.json === true });
      } finally {
        await transport.close();
      }
    });
  group.command("leave")
    .description(
      "announce (signed) that this agent leaves, and turn the group off in config; while this " +
        "home's gateway runs in the group, it is the gateway that leaves",
    )
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await groupConfig(ctx);
      // A gateway of this home in the group leaves itself; a leave sent beside it would not stop it.
      const gateway = await groupGateway(config);
      if (gateway !== undefined) {
        const left = await leaveThrough(gateway);
        await remember(config, { "group.enabled": "false" });
        ctx.io.out(changeReport("left", left, opts.json === true));
        return;
      }
      const agentId = agentIdOf(config);
      const { key, certificate } = await agentCredentials(config);
      const signed = config.group.security === "signed";
      if (signed && certificate === undefined) {
        throw new UsageError(`"${agentId}" has no certificate, so it never joined`);
      }
      const signer = new RecordSigner(
        signed
          ? { keyId: agentId, privateKey: key.privateKey, ...(certificate ? { certificate } : {}) }
          : undefined,
      );
      const identity = identityFor(config, agentId, key.publicKeyText);
      const transport = await groupTransport(config, agentId);
      try {
        await transport.produce(
          await signer.sign([announceRecord(config.group.name, "leave", identity)]),
        );
      } finally {
        await transport.close();
      }
      await remember(config, { "group.enabled": "false" });
      ctx.io.out(
        opts.json
          ? JSON.stringify({
            group: config.group.name,
            agent_id: agentId,
            left: true,
            via: "kafka",
          })
          : `"${agentId}" left group "${config.group.name}"`,
      );
    });
  group.addCommand(statusCommand(ctx));
  group.addCommand(membersCommand(ctx));
  group.addCommand(skillsCommand(ctx));
  group.addCommand(aclCommand(ctx));
  group.addCommand(gcCommand(ctx));
  return group;
}

interface AdmitOptions {
  publicKey: string;
  zones: string;
  vouched?: boolean;
  issuer?: boolean;
  validDays: number;
  json?: boolean;
}

interface JoinOptions {
  agentId?: string;
  invite?: string;
  once?: boolean;
  json?: boolean;
}

/** Asks a sponsor for a certificate when the agent has none yet, and keeps it (0600). */
async function certificateFor(
  config: ResolvedConfig,
  agentId: string,
  transport: Parameters<typeof requestMembership>[0]["transport"],
  opts: JoinOptions,
): Promise<void> {
  const ownerKey = await pinnedOwnerKey(config);
  const { key, certificate } = await agentCredentials(config);
  if (certificate !== undefined) return;
  try {
    const invite = opts.invite ?? await configuredInvite(config);
    const got = await requestMembership({
      transport,
      group: config.group.name,
      agentId,
      publicKey: key.publicKeyText,
      ownerKey,
      command: config.command,
      ...(invite === undefined ? {} : { invite }),
    });
    await writeCertificate(identityDir(config), got.certificate);
  } catch (error) {
    if (error instanceof OnboardRejected || error instanceof GroupSetupError) {
      throw new UsageError(error.message);
    }
    throw new CliError((error as Error).message);
  }
}
