/**
 * The job runner of a real agent: a job's message goes into the agent loop as an internal message
 * from the owner, in the job's own session `cron:<name>`, on channel `scheduler`.
 *
 * @module
 */
import type { AgentLoop } from "../agent/loop.ts";
import type { JobRunner } from "./types.ts";

/**
 * A runner that sends each job's message to `loop`. The answer is the run's result; a turn that
 * ends without one (the tool-iteration limit, a quota or budget refusal) fails the run with the
 * loop's explanation, and a cancelled turn rejects so that the run counts as cancelled.
 */
export function agentRunner(loop: Pick<AgentLoop, "runTurn">): JobRunner {
  return async (job, { signal }) => {
    const result = await loop.runTurn({
      sessionKey: `cron:${job.name}`,
      text: job.message,
      messageType: "internal",
      channel: "scheduler",
      signal,
    });
    if (result.stopped !== "answer") throw new Error(`${result.stopped}: ${result.content}`);
    return result.content;
  };
}
