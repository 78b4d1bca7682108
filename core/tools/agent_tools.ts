/**
 * Tools that reach other sessions of this agent: `message` sends text to another session,
 * `sessions_spawn` runs a subagent and returns its answer, `agents_list` names the agents a
 * subagent can be. They only validate their arguments and call a port the agent layer supplies;
 * that layer decides what is allowed.
 *
 * @module
 */
import { defineTool, toolArgs, toolError, toolOk } from "./define.ts";
import type { AgentSummary, MessageSink, SpawnRequest, SubagentSpawner } from "./ports.ts";
import type { Tool } from "./types.ts";

const MESSAGE_ARGS = toolArgs("message", (z) =>
  z.strictObject({
    session: z.string().min(1).max(256).describe("Session key of the recipient"),
    text: z.string().min(1).describe("The message"),
  }));

/**
 * message (tier 1): sends a message to another session. Tier 1 because the text becomes input of
 * that session; the sink must deliver it with the sender's trust (a tainted turn's message is
 * external there).
 */
export function messageTool(sink: MessageSink): Tool {
  return defineTool({
    description: "Send a text message to another session of this agent (by its session key).",
    tier: 1,
    // A confirmation; the answer stays in the other session.
    output: "owner",
    args: MESSAGE_ARGS,
    async run({ session, text }, ctx) {
      if (session === ctx.sessionKey) {
        return toolError("message goes to another session; this is the current one");
      }
      await sink.send({ session }, text, ctx);
      return toolOk(`Message sent to session ${session}`);
    },
  });
}

/** Longest subagent run a call may ask for, in seconds. */
export const MAX_SPAWN_TIMEOUT_SECONDS = 3600;

const SESSIONS_SPAWN_ARGS = toolArgs("sessions_spawn", (z) =>
  z.strictObject({
    task: z.string().min(1).describe("What the subagent should do"),
    label: z.string().min(1).max(64).optional().describe("A short name for the run"),
    model: z.string().regex(/^[^/\s]+\/\S+$/).optional().describe(
      "provider/model for the subagent (default: this agent's model)",
    ),
    agentId: z.string().min(1).max(128).optional().describe(
      "An agent from agents_list to run the task with its model (model overrides it)",
    ),
    timeoutSeconds: z.number().int().min(1).max(MAX_SPAWN_TIMEOUT_SECONDS).optional()
      .describe("Time limit of the run in seconds"),
  }));

/** sessions_spawn (tier 1): runs a subagent on a task and returns its final answer. */
export function sessionsSpawnTool(spawner: SubagentSpawner): Tool {
  return defineTool({
    description: "Start a subagent on a self-contained task and wait for its answer. Give it " +
      "everything it needs in `task`: it does not see this conversation.",
    tier: 1,
    // The subagent's answer carries the subagent's own taint (the result says when it is untrusted).
    output: "owner",
    args: SESSIONS_SPAWN_ARGS,
    async run({ task, label, model, agentId, timeoutSeconds }, ctx) {
      const request: SpawnRequest = {
        task,
        ...(label === undefined ? {} : { label }),
        ...(model === undefined ? {} : { model }),
        ...(agentId === undefined ? {} : { agentId }),
        ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
      };
      const { answer, taint } = await spawner.spawn(request, ctx);
      const content = answer === "" ? "(the subagent finished without an answer)" : answer;
      // A subagent that read something untrusted hands it on: its parent's turn is tainted too.
      return taint === "trusted" ? toolOk(content) : { content, untrusted: true };
    },
  });
}

const AGENTS_LIST_ARGS = toolArgs("agents_list", (z) => z.strictObject({}));

/** agents_list (tier 0): the agents of `agents.list` that sessions_spawn can run a task with. */
export function agentsListTool(agents: readonly AgentSummary[]): Tool {
  return defineTool({
    description: "List the agents sessions_spawn can start by agentId, with their models.",
    tier: 0,
    // The owner's own config.
    output: "owner",
    args: AGENTS_LIST_ARGS,
    run() {
      if (agents.length === 0) {
        return Promise.resolve(
          toolOk("No agents are configured (agents.list is empty): subagents run with this model."),
        );
      }
      return Promise.resolve(toolOk(
        agents.map((a) =>
          `- ${a.id}${a.name ? ` (${a.name})` : ""}: ${a.model}${a.default ? ", default" : ""}`
        ).join("\n"),
      ));
    },
  });
}
