/**
 * Where every channel hands its messages: {@link ChannelInbox.receive}.
 *
 * 1. Access (access.ts): owners always; others by the channel's `dmPolicy`. Ignored messages leave
 *    no trace; a stranger under `pairing` gets a pairing code (pairing.ts) and no turn, once per
 *    code (writing again gets no reply).
 * 2. Idempotency: a task is created in the timeline under `<channel>:<message id>` before
 *    anything else happens; a message whose task exists (a redelivered update, also after a
 *    restart) is dropped, so it is answered once.
 * 3. The turn: through the one door (core/agent `Door.enter`) as `{kind: "channel"}`, which makes
 *    anyone but an owner external and untrusted, and answers an owner's `approve <id>` /
 *    `deny <id>`. Turns of one chat run in order, chats side by side; an approval answer skips
 *    the queue (the turn it unblocks may be ahead of it in the same chat). The chat shows the
 *    typing indicator meanwhile.
 * 4. The answer: sent and recorded on the task by the outbox (outbox.ts), which leaves a failed
 *    send to the delivery worker's retries.
 *
 * @module
 */
import type { DmPolicy } from "../core/config/mod.ts";
import type { DoorResult, Message } from "../core/agent/mod.ts";
import type { DeliveryRetry, Task, TaskStore } from "../core/timeline/mod.ts";
import { accessOf, isOwner } from "./access.ts";
import { sendRecorded } from "./outbox.ts";
import type { PairingStore } from "./pairing.ts";
import type { Channel, InboundMessage, Inbox } from "./types.ts";

/** What the inbox of one channel is built from. */
export interface ChannelInboxOptions {
  readonly channel: Pick<Channel, "name" | "send" | "typing">;
  readonly door: { enter(message: Message): Promise<DoorResult> };
  readonly tasks: Pick<
    TaskStore,
    "create" | "start" | "complete" | "fail" | "markDelivery" | "deliveryFailed" | "deliveryLost"
  >;
  readonly pairing: Pick<PairingStore, "isPaired" | "request">;
  readonly dmPolicy: DmPolicy;
  readonly allowFrom: readonly string[];
  /** `policy.owners`. */
  readonly owners: readonly string[];
  /** The delivery worker's retry rule, for the first failed attempt. */
  readonly retry?: DeliveryRetry;
  /** How the CLI is called in hints (`kafclaw`). */
  readonly command?: string;
  readonly warn?: (message: string) => void;
}

/** The inbox of one channel; see the module documentation. */
export class ChannelInbox implements Inbox {
  readonly #o: ChannelInboxOptions;
  readonly #chats = new Map<string, Promise<void>>();
  readonly #running = new Set<Promise<void>>();

  constructor(options: ChannelInboxOptions) {
    this.#o = options;
  }

  /** Takes one message; see the module documentation. */
  async receive(message: InboundMessage): Promise<void> {
    const o = this.#o;
    const paired = o.dmPolicy === "pairing" &&
      await o.pairing.isPaired(message.channel, message.sender);
    const access = accessOf({
      channel: message.channel,
      sender: message.sender,
      dmPolicy: o.dmPolicy,
      allowFrom: o.allowFrom,
      owners: o.owners,
      paired,
    });
    if (access === "ignore") return;
    let code: string | undefined;
    if (access === "pair") {
      // One answer per code: a stranger who writes again (or a redelivery) gets no reply.
      const asked = await o.pairing.request(message.channel, message.sender);
      if (!asked) o.warn?.(`${message.channel}: too many pairing codes are waiting`);
      if (!asked?.created) return;
      code = asked.pending.code;
    }
    const owner = isOwner(o.owners, message.channel, message.sender);
    const { task, created } = o.tasks.create({
      idempotencyKey: `${message.channel}:${message.messageId}`,
      channel: message.channel,
      chatId: message.chatId,
      senderId: message.sender,
      messageType: owner ? "internal" : "external",
      contentIn: message.text,
    });
    if (!created) return;
    if (code !== undefined) return this.#track(this.#pair(task, message, code));
    const work = () => this.#turn(task, message);
    // What looks like an answer to an approval skips the queue (the door decides what it is; its
    // parser lives in core/agent, which `kafclaw pairing` must not load for this one pattern).
    if (/^\s*\/?(approve|deny)\s/i.test(message.text)) return this.#track(work());
    const previous = this.#chats.get(message.chatId) ?? Promise.resolve();
    const next = previous.then(work);
    this.#chats.set(message.chatId, next);
    this.#track(next.finally(() => {
      if (this.#chats.get(message.chatId) === next) this.#chats.delete(message.chatId);
    }));
  }

  /** Records a text the platform took and later reported lost: the delivery failed, and why. */
  undelivered(id: string, reason: string): void {
    if (this.#o.tasks.deliveryLost(id, `delivery: ${reason}`)) {
      this.#o.warn?.(`${this.#o.channel.name}: task ${id} was not delivered: ${reason}`);
    }
  }

  /** Waits for the turns and sends under way (a stop, a test). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.#o.warn?.(`${this.#o.channel.name}: ${error}`));
    this.#running.add(tracked);
    tracked.finally(() => this.#running.delete(tracked));
  }

  async #pair(task: Task, message: InboundMessage, code: string): Promise<void> {
    const command = this.#o.command ?? "kafclaw";
    const reply = `This agent answers only people its owner knows. Your pairing code is ${code}; ` +
      `the owner lets you in with: ${command} pairing approve ${message.channel} ${code}`;
    this.#o.tasks.start(task.taskId);
    await this.#answer(task, message, reply);
  }

  async #turn(task: Task, message: InboundMessage): Promise<void> {
    const o = this.#o;
    o.tasks.start(task.taskId);
    const typing = new AbortController();
    o.channel.typing(message.chatId, typing.signal);
    let result: DoorResult;
    try {
      const media = message.media ? await message.media() : "";
      result = await o.door.enter({
        source: { kind: "channel", channel: message.channel, sender: message.sender },
        sessionKey: `${message.channel}:${message.chatId}`,
        text: [message.text, media].filter((t) => t !== "").join("\n"),
      });
    } catch (error) {
      typing.abort();
      const why = error instanceof Error ? error.message : String(error);
      o.warn?.(`${o.channel.name}: the turn for message ${message.messageId} failed: ${why}`);
      return this.#answer(task, message, "Sorry, I could not answer that.", why);
    } finally {
      typing.abort();
    }
    const text = result.content === "" ? "(no answer)" : result.content;
    // An owner's approval answer and a refusal are what the message asked for, not failures.
    await this.#answer(task, message, text);
  }

  #answer(task: Task, message: InboundMessage, text: string, failed?: string) {
    const o = this.#o;
    return sendRecorded(o.channel, o.tasks, task, {
      chatId: message.chatId,
      text,
      replyTo: message.replyTo,
    }, { retry: o.retry, failed, warn: o.warn });
  }
}
