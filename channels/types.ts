/**
 * What every chat channel (Telegram here; Discord, WhatsApp and web chat on the same terms) is to
 * the rest of KafClaw. A {@link Channel} turns its platform's updates into {@link InboundMessage}s
 * and hands them to the {@link Inbox} it was started with (channels/inbox.ts: access, the
 * idempotency record, the one door into a turn, the answer's delivery), and sends what it is given
 * back ({@link Channel.send}); it knows nothing of the agent.
 *
 * @module
 */

/** A message as a channel received it, in the platform's own ids (as strings). */
export interface InboundMessage {
  /** The channel's name (`telegram`): the first half of the sender's identity. */
  readonly channel: string;
  /**
   * The platform's id of this message, unique within the channel (Telegram: `<chat>:<message>`):
   * a redelivered message carries the same id and is answered once.
   */
  readonly messageId: string;
  /** Where the answer goes. */
  readonly chatId: string;
  /** Who wrote it (Telegram: the user id); `channel:sender` is matched against the owners. */
  readonly sender: string;
  /** The text the agent reads: the message, a voice note's transcript, a file's saved path. */
  readonly text: string;
  /** The platform's id of the message an answer should reply to. */
  readonly replyTo?: string | undefined;
  /**
   * What the message carries besides its text (a voice note's transcript, the workspace path a
   * photo was saved to), fetched only for a message that gets a turn, and added to its text.
   */
  readonly media?: (() => Promise<string>) | undefined;
}

/** A text for one chat. */
export interface OutboundMessage {
  readonly chatId: string;
  readonly text: string;
  /** The platform's id of the message this one answers. */
  readonly replyTo?: string | undefined;
  /**
   * What the text is the delivery of (its task's id): when a text goes out in several pieces and
   * one fails, sending the same id again starts at the piece that failed.
   */
  readonly id?: string | undefined;
}

/** How a channel is doing, as `kafclaw channels status` shows it. */
export interface ChannelStatus {
  /** Whether it currently receives updates (polling or listening for its webhook). */
  readonly connected: boolean;
  /** The last failure talking to the platform, with no secret in it. */
  readonly lastError?: string | undefined;
  /** When {@link ChannelStatus.lastError} happened. */
  readonly lastErrorAt?: string | undefined;
  /** Where the webhook listener is bound (`127.0.0.1:8443`), in webhook mode. */
  readonly listening?: string | undefined;
}

/** Where a channel hands what it receives. */
export interface Inbox {
  /**
   * Takes one message. Resolves once the message is recorded (so a redelivery is known as one),
   * before the agent's turn ends: a channel never waits for the agent.
   */
  receive(message: InboundMessage): Promise<void>;
  /**
   * The platform reported later that a text it had taken did not arrive: `id` is the
   * {@link OutboundMessage.id} it was sent under, `reason` what the platform said.
   */
  undelivered?(id: string, reason: string): void;
}

/** One chat platform. */
export interface Channel {
  /** `telegram`, `discord`, ...: the `channel` of its messages and of `policy.owners` entries. */
  readonly name: string;
  /** Connects and starts receiving into `inbox`. Rejects when it cannot (a wrong token). */
  start(inbox: Inbox): Promise<void>;
  /** Stops receiving; sending still works until the process ends. */
  stop(): Promise<void>;
  status(): ChannelStatus;
  /** Sends a text, split as the platform needs. Rejects when the platform could not take it. */
  send(message: OutboundMessage): Promise<void>;
  /** Shows the chat that the agent works on an answer, until `signal` aborts. */
  typing(chatId: string, signal: AbortSignal): void;
}
