/**
 * `kafclaw group leave` and `group join` while a gateway of this KAFCLAW_HOME runs in a group over
 * Kafka: that gateway is the home's member, so they act through its API (`POST
 * /api/v1/group/leave`, `POST /api/v1/group/join`) instead of speaking for the same agent beside
 * it. A leave sent beside it would leave the gateway heartbeating, alive on every roster, and a
 * member started beside it would run its agent id twice. When no gateway answers (none runs, or
 * its run file is left from one that stopped), or it runs without Kafka, the commands go to the
 * group directly, as before. A gateway that answers but refuses this home's token fails the
 * command: nothing is sent beside a member that may be running.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import type { GatewayStatus } from "../web/mod.ts";
import { CliError, UsageError } from "./_errors.ts";
import { apiError, callGateway, type HomeGateway, homeGateway } from "./_home_gateway.ts";

/** The home's gateway in a group over Kafka, as its status says. */
export interface GroupGateway extends HomeGateway {
  readonly agentId: string;
  readonly group: string;
  /** Whether it is a member of its group now (false after a leave, until a join). */
  readonly member: boolean;
}

/** What a leave or a join through the gateway came to. */
export interface GatewayChange {
  readonly gateway: GroupGateway;
  /** False when the gateway was already as asked (out of the group, for a leave). */
  readonly changed: boolean;
  /** For a leave made: whether the group was told (the signed leave sent in time). */
  readonly told?: boolean;
}

/**
 * The gateway of this home when it runs in a group over Kafka; undefined when none answers, or it
 * runs with no Kafka (standalone, or an in-process group). Fails when one answers but cannot be
 * asked (no token, a token refused, an answer that is not its status).
 */
export async function groupGateway(config: ResolvedConfig): Promise<GroupGateway | undefined> {
  const gateway = await homeGateway(config);
  if (gateway === undefined) return undefined;
  const answer = await callGateway(gateway, "/api/v1/status");
  if (answer.kind === "gone") return undefined;
  const where = describe(gateway);
  if (answer.kind !== "answer") {
    throw new CliError(`Cannot ask ${where} whether it is in the group: ${answer.problem}`);
  }
  const status = answer.body as GatewayStatus | undefined;
  if (answer.status !== 200 || typeof status?.group?.health !== "string") {
    throw new CliError(
      `Cannot ask ${where} whether it is in the group: it answered ${answer.status}`,
    );
  }
  if (status.group.health === "local") return undefined;
  return {
    ...gateway,
    agentId: status.agent_id,
    group: status.group.name,
    member: status.group.health !== "left",
  };
}

/** Takes `gateway` out of its group through its API (nothing to do when it is out already). */
export async function leaveThrough(gateway: GroupGateway): Promise<GatewayChange> {
  if (!gateway.member) return { gateway, changed: false };
  const done = await change(gateway, "leave");
  if (done.code === "not_member") return { gateway, changed: false };
  return { gateway, changed: true, told: done.body?.told !== false };
}

/**
 * Brings `gateway` back into its group through its API; refuses, in one line, when it is a member
 * already (a second member of `agentId` would run beside it) or runs as another agent.
 */
export async function joinThrough(gateway: GroupGateway, agentId: string): Promise<GatewayChange> {
  const where = describe(gateway);
  if (agentId !== gateway.agentId) {
    throw new UsageError(
      `${where} runs as "${gateway.agentId}" in group "${gateway.group}", so "${agentId}" cannot ` +
        "join from this home beside it: stop that gateway first, or use another KAFCLAW_HOME",
    );
  }
  if (gateway.member || (await change(gateway, "join")).code === "member") {
    throw new UsageError(
      `"${agentId}" is a member of group "${gateway.group}" already, through ${where}: a second ` +
        `member with that id cannot run beside it; stop that gateway first to run one here, or ` +
        "leave with `group leave` and join it again with `group join`",
    );
  }
  return { gateway, changed: true };
}

/** "this home's gateway (pid …, port …)", for a line. */
export function describe(gateway: HomeGateway): string {
  return `this home's gateway (pid ${gateway.pid}, port ${gateway.port})`;
}

/**
 * `POST /api/v1/group/<what>`: "done" with the answer's body, or the code of its 409 (`member`,
 * `not_member`); anything else fails the command with the gateway's one-line reason.
 */
async function change(
  gateway: GroupGateway,
  what: "leave" | "join",
): Promise<{ code: string; body?: { told?: unknown } }> {
  const answer = await callGateway(gateway, `/api/v1/group/${what}`, "POST");
  const failed = `${describe(gateway)} could not ${what} group "${gateway.group}"`;
  if (answer.kind !== "answer") throw new CliError(`${failed}: ${answer.problem}`);
  if (answer.status === 200) return { code: "done", body: answer.body as { told?: unknown } };
  const error = apiError(answer.body);
  if (answer.status === 409 && (error?.code === "member" || error?.code === "not_member")) {
    return { code: error.code };
  }
  throw new CliError(`${failed}: ${error?.message ?? `it answered ${answer.status}`}`);
}

/** What `group leave` or `group join` prints after acting through the gateway (`--json`: one line). */
export function changeReport(
  what: "left" | "joined",
  { gateway, changed, told }: GatewayChange,
  json: boolean,
): string {
  const { group, agentId, pid, port } = gateway;
  if (json) {
    return JSON.stringify({
      group,
      agent_id: agentId,
      [what]: true,
      ...(changed ? {} : { already: true }),
      ...(told === undefined ? {} : { told }),
      via: "gateway",
      gateway: { pid, port },
    });
  }
  const config = `group.enabled is now ${what === "joined"} in config`;
  const untold = told === false
    ? " (the group was not told: its members take it for gone once it has been silent for 6 " +
      "of its intervals)"
    : "";
  return what === "left"
    ? `"${agentId}" ${changed ? "left" : "was out of"} group "${group}"${untold} through ${
      describe(gateway)
    }, which serves on outside the group; ${config}`
    : `"${agentId}" joined group "${group}" again through ${
      describe(gateway)
    }, a member while it runs; ${config}`;
}
