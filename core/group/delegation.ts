/**
 * The group as the agent's tools reach it (core/tools `GroupPort`): `delegate_task` becomes a
 * request the {@link Requester} sends and follows, `group_members` reads the live workers.
 *
 * A task delegated from inside a group task's turn is that task's sub-task: it carries depth+1,
 * the chain plus this agent, a budget cut from the parent's and a deadline no later than the
 * parent's (limits.ts); one the parent's budget does not allow is refused before anything is
 * sent. A task from any other turn starts a new tree: depth 0, the chain holding this agent, the
 * default budget and deadline. Either way the request carries the turn's taint, and a task from
 * a zone's work goes to that zone's requests topic, or to a named member of the zone, and never
 * to an agent outside it (work derived from a zone stays in it). A
 * sub-task's spans join its parent's trace, under the span of the parent's attempt (spans.ts).
 *
 * @module
 */
import type {
  DelegateRequest,
  DelegateResult,
  GroupMemberSummary,
  GroupPort,
  ToolContext,
} from "../tools/mod.ts";
import { within } from "./_within.ts";
import { DEFAULT_TASK_LIMITS, subTaskLimits, type TaskLimits } from "./limits.ts";
import { isLive, type LiveWorkers } from "./live_workers.ts";
import type { Requester } from "./requester.ts";
import type { ActiveTask } from "./task_intake.ts";
import { rootLimits, taskRequest } from "./task_request.ts";

/** What a {@link GroupDelegation} is built from. */
export interface GroupDelegationDeps {
  readonly agentId: string;
  readonly group: string;
  readonly requester: Pick<Requester, "send" | "answer">;
  readonly workers: LiveWorkers;
  /** The group task a turn's session works on (core/group `TaskIntake.taskOf`). */
  readonly taskOf: (sessionKey: string) => ActiveTask | undefined;
  /** Who is in which zone: a zone's work goes to a named agent only when it is a member. */
  readonly zones?: { isMember(zone: string, agentId: string): boolean };
  /** Makes a skill's work topic when nobody made it yet (before its first task is sent). */
  readonly skillTopic?: (skill: string) => Promise<void>;
  readonly limits?: TaskLimits;
  readonly now?: () => Date;
}

/** The {@link GroupPort} of an agent in a group. */
export class GroupDelegation implements GroupPort {
  readonly #deps: GroupDelegationDeps;

  constructor(deps: GroupDelegationDeps) {
    this.#deps = deps;
  }

  /** The live members, this agent left out. */
  members(): readonly GroupMemberSummary[] {
    return this.#deps.workers.live()
      .filter((w) => w.agentId !== this.#deps.agentId)
      .map(({ agentId, skills, load }) => ({ agentId, skills, load }));
  }

  /** Sends the task and waits up to `waitMs` for its answer. */
  async delegate(request: DelegateRequest, ctx: ToolContext): Promise<DelegateResult> {
    const { agentId, group } = this.#deps;
    const now = (this.#deps.now ?? (() => new Date()))();
    const limits = this.#limitsFor(ctx, now);
    const { to } = request;
    if ("agent" in to && to.agent === agentId) {
      throw new Error("delegate_task sends work to another agent, not to this one");
    }
    const zone = ctx.scope?.zone;
    if (
      zone !== undefined && "agent" in to && !(this.#deps.zones?.isMember(zone, to.agent) ?? false)
    ) {
      throw new Error(
        `Cannot delegate work of zone "${zone}" to "${to.agent}": it is not a member of the zone`,
      );
    }
    const taskId = crypto.randomUUID();
    const { type, payload, topic } = taskRequest(agentId, group, {
      taskId,
      content: request.task,
      description: request.description,
      to,
      zone,
      limits,
    });
    if ("skill" in to && zone === undefined) await this.#deps.skillTopic?.(to.skill);
    const taint = ctx.origin !== undefined && ctx.taint === "trusted" ? "trusted" : "untrusted";
    // A sub-task's spans hang under the span of the task whose turn delegates it.
    const parent = this.#deps.taskOf(ctx.sessionKey)?.trace;
    await this.#deps.requester.send({ type, payload, taint }, { topic, zone }, parent);
    // An agent not live now may come back before the deadline: the task waits in its inbox, but
    // the turn is told at once rather than after the whole wait.
    if ("agent" in to && !isLive(this.#deps.workers, to.agent)) {
      const note = `"${to.agent}" is not live in the group now (it left, or has not been heard ` +
        "from lately): the task waits in its inbox until it comes back or the deadline passes; " +
        "group_members lists who is live.";
      return { taskId, note };
    }
    const answer = await within(this.#deps.requester.answer(taskId)!, request.waitMs, ctx.signal);
    return answer === undefined ? { taskId } : { taskId, answer };
  }

  /**
   * Depth, chain, budget and deadline of a new task from the turn of `ctx`: a sub-task gets the
   * tokens its parent's budget leaves after what the parent's turn spent so far.
   */
  #limitsFor(ctx: ToolContext, now: Date) {
    const { agentId } = this.#deps;
    const limits = this.#deps.limits ?? DEFAULT_TASK_LIMITS;
    const parent = this.#deps.taskOf(ctx.sessionKey);
    if (parent === undefined) return rootLimits(agentId, now, { limits });
    const sub = subTaskLimits(parent, { self: agentId, tokensSpent: ctx.tokensSpent ?? 0 });
    if (!sub.ok) throw new Error(`Cannot delegate from task ${parent.task.task_id}: ${sub.reason}`);
    return sub.limits;
  }
}
