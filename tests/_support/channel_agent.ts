/**
 * What the channel rigs (telegram_rig.ts, whatsapp_rig.ts) share: the settings of an agent over a
 * fake LLM with one owner, and a runtime with its channel host started as the gateway starts them
 * (approvals to the owners' chats, the `message` tool to people's chats).
 */
import { type AgentRuntime, createAgentRuntime } from "../../core/agent/mod.ts";
import type { ResolvedConfig } from "../../core/config/mod.ts";
import { ChannelHost } from "../../channels/mod.ts";
import type { DeliveryRetry } from "../../core/timeline/mod.ts";
import { DeliveryWorker, systemClock } from "../../core/scheduler/mod.ts";

/** The settings of an agent in `home` over the fake LLM at `llmUrl`, owned by `owner`. */
export function agentSettings(home: string, llmUrl: string, owner: string): Record<string, string> {
  return {
    KAFCLAW_HOME: home,
    KAFCLAW_MODEL: "openai/gpt-test",
    OPENAI_BASE_URL: llmUrl,
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    KAFCLAW_POLICY_OWNERS: owner,
  };
}

/** A runtime and its started channel host. */
export interface ChannelAgent {
  readonly host: ChannelHost;
  readonly runtime: AgentRuntime;
}

/** Builds the host from `config`, a runtime over it, and starts the host. */
export async function startChannelAgent(config: ResolvedConfig): Promise<ChannelAgent> {
  const host = await ChannelHost.fromConfig(config);
  const runtime = await createAgentRuntime(config, {
    sendToOwner: host.sendToOwner,
    chats: host.chats,
  });
  try {
    await host.start(runtime);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  return { host, runtime };
}

/** Stops the host, then the runtime. */
export async function stopChannelAgent(agent: ChannelAgent): Promise<void> {
  await agent.host.stop(1000);
  await agent.runtime.close();
}

/** A clock an hour ahead: every retry of a delivery worker is due at once. */
export const LATER = { now: () => new Date(Date.now() + 3_600_000), sleep: systemClock.sleep };

/** A delivery worker over `agent` whose retries are all due now (call its `pass()`). */
export function dueWorker(agent: ChannelAgent, retry?: DeliveryRetry): DeliveryWorker {
  return new DeliveryWorker({
    store: agent.runtime.timeline,
    deliver: agent.host.deliver,
    clock: LATER,
    ...(retry ? { retry } : {}),
  });
}

/** A started agent that a rig can restart and, at its end, dispose of with its fakes and home. */
export interface RunningChannelAgent extends AsyncDisposable {
  readonly runtime: AgentRuntime;
  readonly host: ChannelHost;
  /** Stops the host and the runtime and starts new ones on the same home, as a gateway restart. */
  restart(): Promise<void>;
}

/**
 * Starts the agent of `config` ({@link startChannelAgent}); disposing of it stops it, then
 * disposes of `fakes` in order and removes `home`.
 */
export async function runChannelAgent(
  config: ResolvedConfig,
  home: string,
  fakes: readonly AsyncDisposable[],
): Promise<RunningChannelAgent> {
  let agent = await startChannelAgent(config);
  return {
    get runtime() {
      return agent.runtime;
    },
    get host() {
      return agent.host;
    },
    async restart() {
      await stopChannelAgent(agent);
      agent = await startChannelAgent(config);
    },
    async [Symbol.asyncDispose]() {
      await stopChannelAgent(agent);
      for (const fake of fakes) await fake[Symbol.asyncDispose]();
      await Deno.remove(home, { recursive: true });
    },
  };
}
