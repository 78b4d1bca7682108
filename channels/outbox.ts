/**
 * The way out for every text a channel sends on the agent's behalf (an answer, a pairing code, a
 * scheduled job's result): sent at once and recorded on its task in the timeline. A send that
 * fails counts as the delivery's first failed attempt, and the delivery worker (core/scheduler)
 * retries it with backoff until it gives up and records the delivery as failed; the text stays on
 * the task either way. A channel that throws an `UndeliverableError` (a person the platform says
 * it can never reach: each channel names those refusals in its `unreachable`) fails the delivery
 * at once, with that reason on the task.
 *
 * @module
 */
import type { DeliveryRetry, Task, TaskStore } from "../core/timeline/mod.ts";
import type { Channel, OutboundMessage } from "./types.ts";

/** The task repository the outbox records in. */
export type OutboxTasks = Pick<TaskStore, "complete" | "fail" | "markDelivery" | "deliveryFailed">;

/** How one send is recorded. */
export interface OutboxOptions {
  /** The delivery worker's retry rule, for the first failed attempt. */
  readonly retry?: DeliveryRetry | undefined;
  /** Why the task failed, when `text` is an apology rather than an answer. */
  readonly failed?: string | undefined;
  readonly warn?: ((message: string) => void) | undefined;
}

/**
 * Sends `message` for `task` (started, not finished) and records it: the send comes first and the
 * records follow without a pause, so the delivery worker of this process never sees the text as
 * due before this attempt has ended.
 */
export async function sendRecorded(
  channel: Pick<Channel, "name" | "send">,
  tasks: OutboxTasks,
  task: Task,
  message: OutboundMessage,
  options: OutboxOptions = {},
): Promise<void> {
  let error: unknown;
  try {
    await channel.send({ ...message, id: task.taskId });
  } catch (e) {
    error = e;
  }
  if (options.failed === undefined) tasks.complete(task.taskId, message.text);
  else tasks.fail(task.taskId, options.failed, { reply: message.text });
  if (error === undefined) {
    tasks.markDelivery(task.taskId, "sent");
    return;
  }
  const after = tasks.deliveryFailed(task.taskId, options.retry, error);
  options.warn?.(
    `${channel.name}: cannot send to chat ${message.chatId}: ` +
      `${error instanceof Error ? error.message : String(error)}` +
      (after.deliveryNextAt
        ? `; next attempt at ${after.deliveryNextAt.toISOString()}`
        : "; gave up"),
  );
}
