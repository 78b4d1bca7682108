/**
 * `kafclaw group join` in the foreground: the agent is a member (announce, heartbeats, the roster
 * in SQLite, and, on the owner's machine, a sponsor of newcomers) until SIGINT or SIGTERM; then
 * it sends its signed `leave` and stops, within a bounded time.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import { LEAVE_TIMEOUT_MS, Membership, ownerKey, startSponsor } from "../core/group/mod.ts";
import type { Subscription, Transport } from "../core/transport/mod.ts";
import { CliError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import {
  agentCredentials,
  identityDir,
  identityFor,
  pinnedOwnerKey,
  topicOptions,
} from "./_group.ts";

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Runs the membership until a stop signal; see the module documentation. */
export async function runMember(
  ctx: CliContext,
  config: ResolvedConfig,
  agentId: string,
  transport: Transport,
  options: { readonly json: boolean },
): Promise<void> {
  const group = config.group.name;
  const signed = config.group.security === "signed";
  const { key, certificate } = await agentCredentials(config);
  const { Timeline } = await import("../core/timeline/mod.ts");
  using timeline = Timeline.open(paths(config).timeline);
  const stop = Promise.withResolvers<string>();
  const listeners = STOP_SIGNALS.map((signal) => [signal, () => stop.resolve(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  let membership: Membership;
  let sponsor: Subscription | undefined;
  try {
    try {
      membership = await Membership.start({
        group,
        transport,
        identity: identityFor(config, agentId, key.publicKeyText),
        security: config.group.security,
        ...(signed
          ? {
            signer: {
              keyId: agentId,
              privateKey: key.privateKey,
              ...(certificate === undefined ? {} : { certificate }),
            },
            ownerKey: await pinnedOwnerKey(config),
          }
          : {}),
        store: timeline,
        clockSkewMs: config.group.clockSkewMs,
        topics: topicOptions(config),
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    if (!signed) {
      ctx.io.err(
        `kafclaw: WARNING: group "${group}" runs in open mode: records are not signed, and anyone ` +
          "who can write to its topics can speak as any agent",
      );
    }
    const owner = await ownerKey(identityDir(config));
    if (owner !== undefined) {
      sponsor = await startSponsor({
        membership,
        transport,
        ownerKey: owner.privateKey,
        onboardMode: membership.manifest?.onboard_mode ?? config.group.onboardMode,
        invites: timeline.invites,
        events: timeline.events,
      });
    }
    const count = membership.members().length;
    ctx.io.out(
      options.json
        ? JSON.stringify({ event: "joined", group, agent_id: agentId, members: count })
        : `in group "${group}" as "${agentId}" (${count} member(s)${
          sponsor ? ", sponsoring newcomers" : ""
        }); Ctrl-C leaves`,
    );
    const signal = await stop.promise;
    const started = Date.now();
    await membership.leave(LEAVE_TIMEOUT_MS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      sponsor?.close(),
      new Promise((resolve) => timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    const ms = Date.now() - started;
    ctx.io.out(
      options.json
        ? JSON.stringify({ event: "left", group, agent_id: agentId, signal, ms })
        : `left group "${group}" (${signal}, ${ms} ms)`,
    );
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}
