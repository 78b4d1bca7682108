/**
 * Gateways in this process for tests: each in its own home against its own fake LLM, configured
 * by env alone; several of them share one in-process broker as a group.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import { createAgentRuntime, type RuntimeOptions } from "../../core/agent/mod.ts";
import { Gateway, type GatewayOptions } from "../../core/gateway/mod.ts";
import { memberTopicSpecs } from "../../core/group/mod.ts";
import { agentInbox, topicsFor } from "../../core/protocol/mod.ts";
import { MemoryBroker, MemoryTransport } from "../../core/transport/mod.ts";
import { type FakeTurn, type FakeTurnSource, startFakeOpenAI } from "../fakes/openai_server.ts";
import { taskPayload } from "./task_group.ts";
import { uniqueName, waitFor } from "./wait.ts";

/** How one gateway of a test is made. */
export interface GatewayOf {
  /** The fake LLM's answer once `chat` is used up. */
  readonly answer?: FakeTurn;
  /** The fake LLM's first answers, in order. */
  readonly chat?: FakeTurnSource[];
  readonly more?: Partial<GatewayOptions>;
  /** Options of the agent runtime (an owner who answers approvals …). */
  readonly runtime?: RuntimeOptions;
  /** More settings of this gateway alone ({@link threeGateways}). */
  readonly env?: Record<string, string>;
  /** The home to run in (removed with the gateway); default a new one. */
  readonly home?: string;
}

/** A gateway in a new home against its own fake LLM; configured by `env` alone. */
export async function gatewayOf(env: Record<string, string>, options: GatewayOf = {}) {
  const home = options.home ?? await Deno.makeTempDir({ prefix: "kafclaw-gw-" });
  const llm = await startFakeOpenAI({
    chat: options.chat ?? [],
    fallback: options.answer ?? { text: "done" },
  });
  const all = {
    KAFCLAW_HOME: home,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    ...env,
  };
  let gateway: Gateway;
  try {
    const config = await resolvePrepared({ home, env: all });
    gateway = await Gateway.start(config, {
      createRuntime: (c) => createAgentRuntime(c, options.runtime ?? {}),
      ...options.more,
    });
  } catch (error) {
    await llm.close();
    await Deno.remove(home, { recursive: true });
    throw error;
  }
  return {
    gateway,
    llm,
    home,
    /** The environment it was configured by: a CLI run in its home uses the same. */
    env: all,
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      await llm.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** The environment of gateway `id` in open group `group` on a shared in-process broker. */
export function inProcessEnv(group: string, id: string): Record<string, string> {
  return {
    KAFCLAW_GROUP_ENABLED: "true",
    KAFCLAW_GROUP_NAME: group,
    // Not dialled: the gateways share the in-process broker given to them.
    KAFCLAW_GROUP_KAFKA_BROKERS: "127.0.0.1:9",
    KAFCLAW_GROUP_AGENT_ID: id,
    KAFCLAW_GROUP_SECURITY: "open",
    KAFCLAW_GROUP_PARTITIONS: "3",
    // Long enough that a grant is never lost to silence while a gateway stops (two intervals).
    KAFCLAW_GROUP_HEARTBEAT_INTERVAL_MS: "5000",
    // A lease that never lapses in a test: only a decline moves a task to another worker.
    KAFCLAW_GROUP_LEASE_MS: "600000",
  };
}

/**
 * A new open group on a new in-process broker, its topics made: its name (`prefix` made unique)
 * and the gateway options that put a gateway on that broker.
 */
export async function inProcessGroup(prefix: string) {
  const group = uniqueName(prefix).replaceAll("-", "");
  const broker = new MemoryBroker();
  await new MemoryTransport({ broker }).createTopics(
    memberTopicSpecs(group, { workPartitions: 3 }),
  );
  return { group, more: { transport: new MemoryTransport({ broker }) } };
}

/** A gateway made by {@link gatewayOf}. */
export type TestGateway = Awaited<ReturnType<typeof gatewayOf>>;

/**
 * Three gateways (`ann`, `ben`, `cy`) of group `group` sharing one in-process broker, configured
 * by env; each answers `answered by <id>` unless `options` says otherwise.
 */
export async function threeGateways(
  group: string,
  options: Readonly<Record<string, GatewayOf>> = {},
  env: Record<string, string> = {},
) {
  const broker = new MemoryBroker();
  const setUp = new MemoryTransport({ broker });
  await setUp.createTopics(memberTopicSpecs(group, { workPartitions: 3 }));
  const envOf = (id: string) => ({ ...inProcessEnv(group, id), ...env });
  const transport = new MemoryTransport({ broker });
  const more = { transport };
  const one = (id: string) =>
    gatewayOf({ ...envOf(id), ...options[id]?.env }, {
      answer: { text: `answered by ${id}` },
      ...options[id],
      more: { ...more, ...options[id]?.more },
    });
  const [a, b, c] = [await one("ann"), await one("ben"), await one("cy")];
  await waitFor(
    () => a!.gateway.membership.live().length === 3,
    "ann to see three live members",
  );
  return { a: a!, b: b!, c: c!, broker };
}

/** Sends a task from `from`'s requester (to the group, or to agent `to`'s inbox); its answer. */
export async function submit(from: Gateway, group: string, content: string, to?: string) {
  const taskId = crypto.randomUUID();
  await from.tasks.requester.send(
    {
      type: "request",
      payload: taskPayload(from.agentId, {
        task_id: taskId,
        content,
        ...(to === undefined ? {} : { target_id: to }),
      }),
      taint: "untrusted",
    },
    { topic: to === undefined ? topicsFor(group).requests : agentInbox(group, to) },
  );
  return await from.tasks.requester.answer(taskId)!;
}
