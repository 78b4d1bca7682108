/**
 * The channels of one gateway: built from config (`channels.telegram`, `channels.discord`,
 * `channels.whatsapp` when enabled), each started with its own {@link ChannelInbox} over the agent's door and timeline,
 * and the two ways back that the rest of the gateway uses: {@link ChannelHost.sendToOwner}
 * (approval requests to the owners' chats) and {@link ChannelHost.deliver} (the delivery worker's
 * retries).
 *
 * While it runs, the host writes each channel's state to `KAFCLAW_HOME/channels/status.json`
 * (0600) every few seconds, which `kafclaw channels status` reads from another process.
 *
 * @module
 */
import type { Door } from "../core/agent/mod.ts";
import { type DmPolicy, paths, type ResolvedConfig, writeConfigFile } from "../core/config/mod.ts";
import type { Task, Timeline } from "../core/timeline/mod.ts";
import { ChannelInbox } from "./inbox.ts";
import { sendRecorded } from "./outbox.ts";
import { PairingStore } from "./pairing.ts";
import type { Channel, ChannelStatus } from "./types.ts";

/** How long {@link ChannelHost.stop} waits for the turns under way by default. */
export const STOP_GRACE_MS = 5000;

/** How often the status file is written. */
export const STATUS_EVERY_MS = 5000;

/** What `channels/status.json` holds. */
export interface ChannelsReport {
  readonly updatedAt: string;
  readonly pid: number;
  /** Set by the last write of a gateway that stopped. */
  readonly stopped?: boolean;
  readonly channels: Readonly<Record<string, ChannelStatus>>;
}

/** The status file of a KAFCLAW_HOME. */
export function statusFile(home: string): string {
  return `${home}/channels/status.json`;
}

/**
 * The channels config enables, built (not started); each platform's code is loaded only when its
 * channel is enabled. Rejects with a TypeError for a config that cannot work.
 */
export async function channelsFromConfig(config: ResolvedConfig): Promise<Channel[]> {
  const channels: Channel[] = [];
  const { telegram, whatsapp, discord } = config.channels;
  if (!telegram.enabled && !whatsapp.enabled && !discord.enabled) return channels;
  const { createSpeech } = await import("../core/provider/mod.ts");
  const speech = createSpeech(config);
  const transcribe = (audio: Uint8Array, mime: string) => speech.transcribe(audio, { mime });
  const workspace = paths(config).workspace;
  if (discord.enabled) channels.push(await discordChannel(discord, workspace, transcribe));
  if (telegram.enabled) {
    if (!telegram.token) {
      throw new TypeError(
        "Cannot run Telegram without channels.telegram.token (the bot token from BotFather)",
      );
    }
    const { TelegramChannel } = await import("./telegram/mod.ts");
    channels.push(
      new TelegramChannel({
        token: telegram.token,
        apiRoot: telegram.apiBase,
        mode: telegram.mode,
        webhookSecret: telegram.webhookSecret,
        webhookUrl: telegram.webhookUrl,
        webhookHost: telegram.webhookHost,
        webhookPort: telegram.webhookPort,
        workspace,
        transcribe,
      }),
    );
  }
  if (whatsapp.enabled) {
    const { WhatsAppChannel } = await import("./whatsapp/mod.ts");
    channels.push(
      new WhatsAppChannel({
        phoneNumberId: whatsapp.phoneNumberId ?? "",
        accessToken: whatsapp.accessToken ?? "",
        appSecret: whatsapp.appSecret ?? "",
        verifyToken: whatsapp.verifyToken ?? "",
        apiBase: whatsapp.apiBase,
        apiVersion: whatsapp.apiVersion,
        webhookHost: whatsapp.webhookHost,
        webhookPort: whatsapp.webhookPort,
        workspace,
        transcribe,
      }),
    );
  }
  return channels;
}

/** The Discord channel of `channels.discord`. */
async function discordChannel(
  discord: ResolvedConfig["channels"]["discord"],
  workspace: string,
  transcribe: (audio: Uint8Array, mime: string) => Promise<string>,
): Promise<Channel> {
  if (!discord.token) {
    throw new TypeError(
      "Cannot run Discord without channels.discord.token (the bot token from the Developer Portal)",
    );
  }
  const { DiscordChannel } = await import("./discord/mod.ts");
  return new DiscordChannel({
    token: discord.token,
    apiBase: discord.apiBase,
    workspace,
    transcribe,
  });
}

/** What the host runs channels over. */
export interface ChannelAgent {
  readonly door: Pick<Door, "enter">;
  readonly timeline: Pick<Timeline, "tasks">;
}

/** The running channels of a gateway; see the module documentation. */
export class ChannelHost {
  readonly channels: readonly Channel[];
  readonly #config: ResolvedConfig;
  readonly #warn: (message: string) => void;
  readonly #inboxes: ChannelInbox[] = [];
  #agent: ChannelAgent | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    config: ResolvedConfig,
    channels: readonly Channel[],
    options: { readonly warn?: (m: string) => void } = {},
  ) {
    this.#config = config;
    this.channels = channels;
    this.#warn = options.warn ?? (() => {});
  }

  /** A host of the channels config enables ({@link channelsFromConfig}). */
  static async fromConfig(
    config: ResolvedConfig,
    options: { readonly warn?: (m: string) => void } = {},
  ): Promise<ChannelHost> {
    return new ChannelHost(config, await channelsFromConfig(config), options);
  }

  /** Starts every channel over `agent`; on a failure, those started are stopped again. */
  async start(agent: ChannelAgent): Promise<void> {
    this.#agent = agent;
    const pairing = new PairingStore(this.#config.home);
    const started: Channel[] = [];
    try {
      for (const channel of this.channels) {
        const settings = this.#settings(channel.name);
        const inbox = new ChannelInbox({
          channel,
          door: agent.door,
          tasks: agent.timeline.tasks,
          pairing,
          dmPolicy: settings.dmPolicy,
          allowFrom: settings.allowFrom,
          owners: this.#config.policy.owners,
          command: this.#config.command,
          warn: this.#warn,
        });
        this.#inboxes.push(inbox);
        await channel.start(inbox);
        started.push(channel);
      }
    } catch (error) {
      for (const channel of started) await channel.stop();
      throw new Error(
        `Cannot start the ${this.channels[started.length]?.name} channel: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    if (this.channels.length === 0) return;
    await this.writeStatus();
    this.#timer = setInterval(() => this.writeStatus().catch(() => {}), STATUS_EVERY_MS);
  }

  /**
   * Stops receiving and gives the turns under way up to `graceMs` (default 5 s) to end; those
   * still running (one waiting for an approval, say) are left to the agent's close, which cancels
   * them. Records the channels as stopped.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    clearInterval(this.#timer);
    for (const channel of this.channels) await channel.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(this.#inboxes.map((inbox) => inbox.idle())),
      new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
    if (this.channels.length > 0) await this.writeStatus(true).catch(() => {});
  }

  /** Each channel's state. */
  status(): Record<string, ChannelStatus> {
    return Object.fromEntries(this.channels.map((c) => [c.name, c.status()]));
  }

  /** Writes {@link ChannelsReport} to the status file; `stopped` for the last one. */
  writeStatus(stopped = false): Promise<void> {
    const report: ChannelsReport = {
      updatedAt: new Date().toISOString(),
      pid: Deno.pid,
      ...(stopped ? { stopped } : {}),
      channels: this.status(),
    };
    return writeConfigFile(statusFile(this.#config.home), report);
  }

  /**
   * Sends `text` to every owner whose channel runs here, once per `key` (a scheduled run's
   * `cron:<job>:<time>`) and owner, recorded as a task like an answer, so a failed send is retried
   * by the delivery worker. Resolves with how many owners it went to.
   */
  async notifyOwners(key: string, text: string): Promise<number> {
    let count = 0;
    for (const owner of this.#config.policy.owners) {
      const chat = this.#chatOf(owner);
      if (chat && await this.#post(`${key}:${owner}`, chat, text)) count++;
    }
    return count;
  }

  /**
   * The chats of the running channels as the agent's `message` tool reaches them (core/agent
   * `ChatOutbound`): a message to the session `telegram:<chat>` is sent to that chat.
   */
  readonly chats = {
    owns: (session: string): boolean => this.#chatOf(session) !== undefined,
    send: async (session: string, text: string): Promise<void> => {
      const chat = this.#chatOf(session);
      if (!chat) throw new Error(`No channel here reaches ${session}`);
      await this.#post(`message:${crypto.randomUUID()}`, chat, text);
    },
  };

  /** The running channel and chat of `channel:chat`, if that channel runs here. */
  #chatOf(identity: string): { channel: Channel; chatId: string } | undefined {
    const colon = identity.indexOf(":");
    const channel = this.channels.find((c) => c.name === identity.slice(0, colon));
    const chatId = identity.slice(colon + 1);
    return channel && colon > 0 && chatId !== "" ? { channel, chatId } : undefined;
  }

  /** Sends `text` to a chat as a task of its own under `key`; false when `key` was used. */
  async #post(key: string, to: { channel: Channel; chatId: string }, text: string) {
    const agent = this.#agent;
    if (agent === undefined) throw new TypeError("Cannot send before the channels start");
    const { task, created } = agent.timeline.tasks.create({
      idempotencyKey: key,
      channel: to.channel.name,
      chatId: to.chatId,
      senderId: "agent",
      messageType: "internal",
      contentIn: key,
    });
    if (!created) return false;
    agent.timeline.tasks.start(task.taskId);
    await sendRecorded(to.channel, agent.timeline.tasks, task, { chatId: to.chatId, text }, {
      warn: this.#warn,
    });
    return true;
  }

  /** Sends `text` to an owner identity `channel:chat` (core/agent `SendToOwner`). */
  readonly sendToOwner = async (owner: string, text: string): Promise<void> => {
    const colon = owner.indexOf(":");
    await this.#channel(owner.slice(0, colon)).send({ chatId: owner.slice(colon + 1), text });
  };

  /** Sends a task's answer to its chat again (core/scheduler `Deliver`). */
  readonly deliver = async (task: Task): Promise<void> => {
    await this.#channel(task.channel).send({
      chatId: task.chatId,
      text: task.contentOut ?? "",
      id: task.taskId,
    });
  };

  #channel(name: string): Channel {
    const channel = this.channels.find((c) => c.name === name);
    if (!channel) throw new Error(`channel ${name} does not run in this gateway`);
    return channel;
  }

  #settings(name: string): { readonly dmPolicy: DmPolicy; readonly allowFrom: readonly string[] } {
    const all: Readonly<Record<string, { dmPolicy: DmPolicy; allowFrom: readonly string[] }>> =
      this.#config.channels;
    const found = all[name];
    if (!found) throw new TypeError(`No config section channels.${name}`);
    return found;
  }
}
