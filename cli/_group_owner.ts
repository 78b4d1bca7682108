/**
 * The owner's side of `kafclaw group`, run on the machine that holds the owner key: `init` makes
 * the group (the owner key, every topic, this agent's certificate), `invite` makes a one-time
 * invite for a gated group, and `admit` issues a certificate to an agent that brings its own key.
 * Loaded only when one of them runs (cli/group.ts holds their flags).
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import {
  admit,
  certificateRecord,
  initGroup,
  memberTopicSpecs,
  randomToken,
  type ReadRoster,
  revocationRecord,
} from "../core/group/mod.ts";
import {
  agentInbox,
  type CertificateBundle,
  decodeCertificate,
  importPublicKey,
  isMemberId,
  MEMBER_ID_RULE,
} from "../core/protocol/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure, kafkaErrorText, UsageError } from "./_errors.ts";
import {
  agentIdOf,
  groupConfig,
  groupTransport,
  identityDir,
  remember,
  requireOwnerKey,
  rosterNow,
  topicOptions,
  zoneList,
} from "./_group.ts";

/** The flags of `group init`. */
export interface InitOptions {
  agentId?: string;
  gated?: boolean;
  json?: boolean;
}

/** `group init`: makes the group, and turns it on in config as this agent's. */
export async function initAction(ctx: CliContext, opts: InitOptions): Promise<void> {
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
    throw failure(error);
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
}

/** `group invite`: a one-time invite valid for `validHours`, recorded in the store. */
export async function inviteAction(
  ctx: CliContext,
  opts: { validHours: number; json?: boolean },
): Promise<void> {
  const config = await groupConfig(ctx);
  await requireOwnerKey(config, "group invite");
  const { Timeline } = await import("../core/timeline/mod.ts");
  using timeline = Timeline.open(paths(config).timeline);
  const secret = randomToken();
  const expiresAt = new Date(Date.now() + opts.validHours * 3_600_000);
  const id = randomToken(6);
  timeline.invites.add({ id, group: config.group.name, secret, expiresAt });
  // What a newcomer needs besides the invite: the group, and the owner key it pins.
  const { name, ownerPublicKey } = config.group;
  const pin = ownerPublicKey === undefined
    ? ""
    : `KAFCLAW_GROUP_OWNER_PUBLIC_KEY=${ownerPublicKey} `;
  ctx.io.out(
    opts.json
      ? JSON.stringify(
        {
          id,
          invite: secret,
          expires_at: expiresAt.toISOString(),
          group: name,
          owner_public_key: ownerPublicKey ?? null,
        },
        null,
        2,
      )
      : [
        `invite ${id} for group "${name}", once, until ${expiresAt.toISOString()}:`,
        secret,
        // Another machine: its own name for the command is not known here.
        `the newcomer runs: KAFCLAW_GROUP_NAME=${name} ${pin}kafclaw group join --invite <that invite>`,
      ].join("\n"),
  );
}

/** The flags of `group admit`. */
export interface AdmitOptions {
  publicKey?: string;
  zones: string;
  vouched?: boolean;
  issuer?: boolean;
  validDays: number;
  json?: boolean;
}

/** `group admit <agent-id>`: issues its certificate and puts it on the roster. */
export async function admitAction(
  ctx: CliContext,
  agentId: string,
  opts: AdmitOptions,
): Promise<void> {
  const config = await groupConfig(ctx);
  mustBeMemberId(agentId);
  const zones = zoneList(opts.zones);
  const owner = await requireOwnerKey(config, "group admit");
  if (opts.publicKey !== undefined) {
    await importPublicKey(opts.publicKey).catch(() => {
      throw new UsageError(`--public-key "${opts.publicKey}" is not 32 bytes of base64url`);
    });
  }
  const transport = await groupTransport(config, agentIdOf(config));
  try {
    const read = await rosterNow(config, transport, { what: "roster", ownerKey: owner.publicKey });
    // A certificate under a revoked id would take the revocation's place on the roster (one key,
    // `cert:<id>`): members that read it later would trust the id again, those running would not.
    const revoked = read.revocation(agentId);
    if (revoked !== undefined) {
      throw new UsageError(
        `"${agentId}" is revoked in group "${config.group.name}" (${revoked}): admit the agent ` +
          "under another id",
      );
    }
    const publicKey = opts.publicKey ?? knownKey(ctx, config, read, agentId, {
      vouched: opts.vouched === true,
      issuer: opts.issuer === true,
    });
    const bundle = await admit(owner.privateKey, {
      agentId,
      publicKey,
      zones,
      vouched: opts.vouched === true,
      issuer: opts.issuer === true,
      validDays: opts.validDays,
    });
    await transport.produce([
      await certificateRecord(config.group.name, owner.privateKey, agentId, bundle),
    ]);
    // Its inbox, as a Deno agent makes its own at its start: an agent of another language reads
    // it (retries, declines sent on, grants) and need not make it.
    const inbox = agentInbox(config.group.name, agentId);
    const specs = memberTopicSpecs(config.group.name, { ...topicOptions(config), agentId });
    const made = await transport.createTopics(specs.filter((s) => s.name === inbox)).catch(
      (error: unknown) => {
        // The certificate is on the roster already: the inbox is said, not the admission undone.
        ctx.io.err(
          `note: cannot make the inbox ${inbox} (${kafkaErrorText(error)}); make it ` +
            "before the agent starts",
        );
        return undefined;
      },
    );
    const state = made === undefined ? "failed" : made.length > 0 ? "made" : "there";
    report(ctx, agentId, bundle, { json: opts.json, inbox, state });
  } finally {
    await transport.close();
  }
}

/**
 * The key of the certificate the group knows for `agentId` (the latest on the roster that chains
 * to the owner), for a new certificate of the same agent; a note when the new one drops what the
 * known one allowed.
 */
function knownKey(
  ctx: CliContext,
  config: ResolvedConfig,
  read: ReadRoster,
  agentId: string,
  wanted: { readonly vouched: boolean; readonly issuer: boolean },
): string {
  const known = read.certificate(agentId);
  if (known === undefined) {
    throw new UsageError(
      `no certificate of "${agentId}" is on the roster of group "${config.group.name}": give ` +
        `its key with --public-key (an agent that has not joined yet brings its own)`,
    );
  }
  const dropped = [
    ...(known.vouched && !wanted.vouched ? [["--vouched", "vouched records"]] : []),
    ...(known.issuer && !wanted.issuer ? [["--issuer", "issuing certificates"]] : []),
  ];
  if (dropped.length > 0) {
    ctx.io.err(
      `note: the certificate the group knew for "${agentId}" allowed ` +
        `${dropped.map(([, what]) => what).join(" and ")}; the new one does not (add ` +
        `${dropped.map(([flag]) => flag).join(" ")} to keep that)`,
    );
  }
  return known.public_key;
}

const INBOX_STATES = { made: "made", there: "was there", failed: "not made (see above)" };

/** What `group admit` prints: the certificate, and on stderr what it did. */
function report(
  ctx: CliContext,
  agentId: string,
  bundle: CertificateBundle,
  at: {
    readonly json: boolean | undefined;
    readonly inbox: string;
    readonly state: "made" | "there" | "failed";
  },
): void {
  const { json } = at;
  const decoded = decodeCertificate(bundle);
  const notAfter = decoded.ok ? decoded.certificate.not_after : "";
  ctx.io.out(
    json
      ? JSON.stringify(
        {
          agent_id: agentId,
          not_after: notAfter,
          certificate: bundle,
          inbox: at.inbox,
          inbox_made: at.state === "made",
        },
        null,
        2,
      )
      : JSON.stringify(bundle),
  );
  if (!json) {
    ctx.io.err(
      `kafclaw: admitted "${agentId}" until ${notAfter}; its certificate (above) is on the ` +
        `roster; its inbox ${at.inbox} ${INBOX_STATES[at.state]}`,
    );
  }
}

/** What `group revoke` is given. */
export interface RevokeOptions {
  readonly reason: string;
  readonly json?: boolean;
}

/**
 * `group revoke <id>`: the owner's signed revocation of an agent on the roster. Every member drops
 * the agent's records from then on, and its running gateway leaves the group; an id once revoked
 * stays so (a new certificate is issued under another id). Only an agent the roster holds a
 * certificate of is revoked (a typo must not leave the real one trusted), and never this home's
 * own agent, which runs the sponsor.
 */
export async function revokeAction(
  ctx: CliContext,
  agentId: string,
  opts: RevokeOptions,
): Promise<void> {
  const config = await groupConfig(ctx);
  mustBeMemberId(agentId);
  const group = config.group.name;
  if (agentId === config.group.agentId) {
    throw new UsageError(
      `"${agentId}" is this home's own agent, which holds the owner key: it is not revoked`,
    );
  }
  const owner = await requireOwnerKey(config, "group revoke");
  const transport = await groupTransport(config, agentIdOf(config));
  try {
    const read = await rosterNow(config, transport, { what: "roster", ownerKey: owner.publicKey });
    const already = read.revocation(agentId);
    if (already === undefined && read.certificate(agentId) === undefined) {
      throw new UsageError(
        `no certificate of "${agentId}" is on the roster of group "${group}": nothing to revoke ` +
          `(${config.command} group members lists the members)`,
      );
    }
    if (already === undefined) {
      await transport.produce([
        await revocationRecord(group, owner.privateKey, agentId, opts.reason),
      ]);
    }
    const reason = already ?? opts.reason;
    ctx.io.out(
      opts.json
        ? JSON.stringify({ revoked: agentId, group, reason, already: already !== undefined })
        : already !== undefined
        ? `"${agentId}" is revoked in group "${group}" already (${already})`
        : `revoked "${agentId}" in group "${group}" (${reason}): every member drops its records ` +
          `from now on, and a gateway running as it leaves the group; ${config.command} group gc ` +
          "removes its inbox once it is gone",
    );
  } finally {
    await transport.close();
  }
}

/** A usage error unless `agentId` may be a member's id (PROTOCOL.md, and the shared groups'). */
function mustBeMemberId(agentId: string): void {
  if (!isMemberId(agentId)) {
    throw new UsageError(`agent id "${agentId}" is not valid: ${MEMBER_ID_RULE}`);
  }
}
