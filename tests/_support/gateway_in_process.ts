/**
 * Gateways in the test process (core/gateway), each in a new home against its own fake LLM and
 * configured by env alone; several share one in-process broker as a group. The same gateways as
 * processes on the real broker are in gateway_group.ts.
 */
import { createAgentRuntime } from "../../core/agent/mod.ts";
import { resolveConfig } from "../../core/config/mod.ts";
import { Gateway, type GatewayOptions } from "../../core/gateway/mod.ts";
import { type FakeTurn, startFakeOpenAI } from "../fakes/openai_server.ts";

/** A gateway in a new home against its own fake LLM; configured by `env` alone. */
export async function gatewayOf(
  env: Record<string, string>,
  options: { answer?: FakeTurn; more?: Partial<GatewayOptions> } = {},
) {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-gw-" });
  const llm = await startFakeOpenAI({ fallback: options.answer ?? { text: "done" } });
  const config = resolveConfig({
    home,
    env: {
      KAFCLAW_MODEL: "openai/gpt-test",
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "sk-test",
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
      ...env,
    },
  });
  const gateway = await Gateway.start(config, {
    createRuntime: (c) => createAgentRuntime(c, {}),
    ...options.more,
  });
  return {
    gateway,
    llm,
    home,
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
