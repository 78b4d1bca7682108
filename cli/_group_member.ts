/**
 * Taking part in a group with `kafclaw group`: `join` (in the foreground until Ctrl-C or SIGTERM,
 * a newcomer's certificate asked of a sponsor while it joins: cli/_group_join.ts; with `--once`
 * only the certificate) and `leave` (a signed `leave`); both act through this home's gateway while
 * it runs in the group (cli/_group_gateway.ts). Loaded only when one of them runs (cli/group.ts
 * holds their flags).
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import {
  announceRecord,
  certificateAsking,
  GroupSetupError,
  OnboardRejected,
  RecordSigner,
} from "../core/group/mod.ts";
import type { Transport } from "../core/transport/mod.ts";
import type { CliContext } from "./_context.ts";
import { Cancelled, failure, Terminated, UsageError } from "./_errors.ts";
import {
  agentCredentials,
  agentIdOf,
  groupConfig,
  groupTransport,
  identityFor,
  pinnedOwnerKey,
  remember,
} from "./_group.ts";
import { runMember } from "./_group_join.ts";
import { kafkaNews } from "./_kafka_line.ts";
import { changeReport, groupGateway, joinThrough, leaveThrough } from "./_group_gateway.ts";

/** The flags of `group join`. */
export interface JoinOptions {
  agentId?: string;
  invite?: string;
  once?: boolean;
  json?: boolean;
}

/** `group join`: through this home's gateway while it runs in the group, else as a member here. */
export async function joinAction(ctx: CliContext, opts: JoinOptions): Promise<void> {
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
  // Without --once the member runs until stopped: it keeps trying, and tells of Kafka lost and
  // back, as the gateway does.
  const transport = await groupTransport(
    config,
    agentId,
    opts.once ? {} : {
      patience: "service",
      onKafka: (change) => ctx.io.err(`kafclaw: ${kafkaNews(change, config.command)}`),
    },
  );
  const joined = () => remember(config, { "group.enabled": "true", "group.agentId": agentId });
  let stopped = false;
  try {
    if (opts.once) {
      if (config.group.security === "signed") {
        await certificateFor(ctx, config, agentId, transport, opts);
      }
      await joined();
      ctx.io.out(
        opts.json
          ? JSON.stringify({ group: config.group.name, agent_id: agentId, joined: true })
          : `ready to join group "${config.group.name}" as "${agentId}"`,
      );
      return;
    }
    // A newcomer's certificate is asked for while the membership reads the group.
    await runMember(ctx, config, agentId, transport, {
      json: opts.json === true,
      ...(opts.invite === undefined ? {} : { invite: opts.invite }),
      joined,
    });
  } catch (error) {
    // Stopped while it joined: its client may still be retrying Kafka, which a close waits for;
    // the process ends now, and its connections with it.
    if (error instanceof Cancelled || error instanceof Terminated) stopped = true;
    throw error;
  } finally {
    if (!stopped) await transport.close();
  }
}

/** `group leave`: through this home's gateway while it runs in the group, else a signed `leave`. */
export async function leaveAction(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
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
}

/** Asks a sponsor for a certificate when the agent has none yet, and keeps it (0600). */
async function certificateFor(
  ctx: CliContext,
  config: ResolvedConfig,
  agentId: string,
  transport: Transport,
  opts: JoinOptions,
): Promise<void> {
  const ownerKey = await pinnedOwnerKey(config);
  const { key, certificate } = await agentCredentials(config);
  if (certificate !== undefined) return;
  try {
    const ask = await certificateAsking(config, {
      agentId,
      transport,
      publicKey: key.publicKeyText,
      ownerKey,
      ...(opts.invite === undefined ? {} : { invite: opts.invite }),
      onAsking: (line) => ctx.io.err(`kafclaw: ${line}`),
    });
    await ask();
  } catch (error) {
    if (error instanceof OnboardRejected || error instanceof GroupSetupError) {
      throw new UsageError(error.message);
    }
    throw failure(error);
  }
}
