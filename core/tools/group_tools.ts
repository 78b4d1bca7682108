/**
 * The agent's tools for its group (PROTOCOL.md): `delegate_task` sends a task to another agent, a
 * skill or the group and waits for the answer within a time limit; `group_members` lists who is
 * there; `share_memory` publishes an item to the group's memory. Like the other agent tools they
 * validate their arguments and call a port (ports.ts) that core/group supplies; what is allowed
 * (depth, budget, deadline, zones) is decided behind it.
 *
 * Delegation and sharing are side effects (tier 1): in a group task's turn they need the task's
 * grant first, which the guard checks before they run. What other agents answer or say of
 * themselves comes from outside the owner's control, so it taints the turn that reads it.
 *
 * @module
 */
import { defineTool, toolArgs, toolError, toolOk } from "./define.ts";
import type { DelegateTarget, GroupPort, MemorySharer } from "./ports.ts";
import type { Tool } from "./types.ts";

/** Longest wait a `delegate_task` call may ask for, in seconds. */
export const MAX_DELEGATE_WAIT_SECONDS = 600;

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const DELEGATE_TASK_ARGS = toolArgs("delegate_task", (z) =>
  z.strictObject({
    task: z.string().min(1).max(100_000).describe("What the other agent should do"),
    description: z.string().max(500).optional().describe("A one-line summary"),
    agent: z.string().regex(ID).optional().describe("The id of the agent to ask"),
    skill: z.string().regex(ID).optional().describe("A skill; any agent offering it may answer"),
    wait_seconds: z.number().int().min(0).max(MAX_DELEGATE_WAIT_SECONDS).optional()
      .describe("How long to wait for the answer (default 120; 0 returns the task id at once)"),
  }));

/** delegate_task (tier 1): sends a task to the group, a skill or a named agent. */
export function delegateTaskTool(group: GroupPort): Tool {
  return defineTool({
    description: "Send a task to another agent of the group (by agent id), to whoever offers a " +
      "skill, or to any agent, and wait for its answer. Give the task everything it needs: the " +
      "other agent does not see this conversation. Returns the answer, or the task id when it " +
      "did not come within wait_seconds.",
    tier: 1,
    args: DELEGATE_TASK_ARGS,
    async run({ task, description, agent, skill, wait_seconds }, ctx) {
      if (agent !== undefined && skill !== undefined) {
        return toolError("delegate_task takes an agent or a skill, not both");
      }
      const to: DelegateTarget = agent !== undefined
        ? { agent }
        : skill !== undefined
        ? { skill }
        : { group: true };
      const result = await group.delegate({
        task,
        ...(description === undefined ? {} : { description }),
        to,
        waitMs: (wait_seconds ?? 120) * 1000,
      }, ctx);
      const { answer, taskId, note } = result;
      if (answer === undefined) {
        const why = note === undefined ? "" : ` ${note}`;
        return toolOk(
          `Task ${taskId} is sent; no answer yet.${why} It goes on without you waiting.`,
        );
      }
      const who = answer.responderId ? ` by ${answer.responderId}` : "";
      if (answer.status === "completed") {
        return { content: `Task ${taskId} answered${who}:\n${answer.content}`, untrusted: true };
      }
      const why = answer.reason ? `: ${answer.reason}` : "";
      const content = answer.content ? `\n${answer.content}` : "";
      return { content: `Task ${taskId} ${answer.status}${who}${why}${content}`, isError: true };
    },
  });
}

const GROUP_MEMBERS_ARGS = toolArgs("group_members", (z) => z.strictObject({}));

/** group_members (tier 0): the live members of the group, with their skills and load. */
export function groupMembersTool(group: GroupPort): Tool {
  return defineTool({
    description: "List the other agents of the group that are alive now, with their skills " +
      "and load.",
    tier: 0,
    args: GROUP_MEMBERS_ARGS,
    run() {
      const members = group.members();
      if (members.length === 0) return Promise.resolve(toolOk("No other agent is alive now."));
      return Promise.resolve(toolOk(
        members.map((m) =>
          `- ${m.agentId}: skills ${m.skills.length ? m.skills.join(", ") : "(none)"}; ` +
          `running ${m.load.running} of ${m.load.capacity}`
        ).join("\n"),
      ));
    },
  });
}

const SHARE_MEMORY_ARGS = toolArgs("share_memory", (z) =>
  z.strictObject({
    title: z.string().min(1).max(200).describe("A short title"),
    content: z.string().min(1).max(100_000).describe("What to share"),
    tags: z.array(z.string().min(1).max(64)).max(20).optional().describe("Tags"),
    ttl_seconds: z.number().int().min(1).max(30 * 86_400).optional()
      .describe("Seconds until it expires (a context item)"),
  }));

/** share_memory (tier 1): publishes an item to the group's memory. */
export function shareMemoryTool(sharer: MemorySharer): Tool {
  return defineTool({
    description: "Share a note with every agent of the group: they store it and can recall it. " +
      "With ttl_seconds it is context that expires.",
    tier: 1,
    // A confirmation with the item's id.
    output: "owner",
    args: SHARE_MEMORY_ARGS,
    async run({ title, content, tags, ttl_seconds }, ctx) {
      const id = await sharer.share({
        title,
        content,
        tags: tags ?? [],
        ...(ttl_seconds === undefined ? {} : { ttlSeconds: ttl_seconds }),
      }, ctx);
      return toolOk(`Shared with the group as ${id}.`);
    },
  });
}
