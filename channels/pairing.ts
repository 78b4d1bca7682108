/**
 * Pairing: under `dmPolicy: "pairing"` a stranger who writes to the agent gets a short code instead
 * of an answer, and the owner lets them in with `kafclaw pairing approve <channel> <code>`. Codes
 * and the senders paired so far live in `KAFCLAW_HOME/channels/pairing.json` (0600, written whole
 * or not at all), read afresh on every look, so the CLI and a running gateway share it.
 *
 * A code is 8 characters of an alphabet without look-alikes (no 0/O, 1/I), lives an hour, and a
 * channel holds at most {@link MAX_PENDING} at once: a flood of strangers cannot fill the file.
 *
 * @module
 */
import { type Config, writeConfigFile } from "../core/config/mod.ts";

/** Every chat channel of the config; a channel added there fails to compile until it is here. */
const CHAT_CHANNELS: Record<keyof Config["channels"], true> = {
  telegram: true,
  discord: true,
  whatsapp: true,
};
/** The channels whose `dmPolicy` can be `pairing`, so a code can be given on them. */
export const PAIRING_CHANNELS = Object.keys(CHAT_CHANNELS) as readonly (keyof Config["channels"])[];

/** The characters of a code: no 0, O, 1 or I to misread. */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** How long a code can be approved. */
export const CODE_TTL_MS = 60 * 60 * 1000;
/** Codes waiting per channel at most. */
export const MAX_PENDING = 3;

/** A stranger waiting for the owner. */
export interface PendingPairing {
  readonly channel: string;
  readonly sender: string;
  readonly code: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** A sender the owner let in. */
export interface PairedSender {
  readonly channel: string;
  readonly sender: string;
  readonly approvedAt: string;
}

/** What pairing.json holds. */
export interface PairingState {
  readonly pending: readonly PendingPairing[];
  readonly paired: readonly PairedSender[];
}

/** A code that cannot be approved or denied, said so that a user can act on it. */
export class PairingError extends Error {
  override readonly name = "PairingError";
}

/** The pairing file of one KAFCLAW_HOME; see the module documentation. */
export class PairingStore {
  readonly path: string;
  readonly #now: () => Date;

  constructor(home: string, options: { readonly now?: () => Date } = {}) {
    this.path = `${home}/channels/pairing.json`;
    this.#now = options.now ?? (() => new Date());
  }

  /** The state, without expired codes. */
  async read(): Promise<PairingState> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { pending: [], paired: [] };
      throw error;
    }
    let parsed: Partial<PairingState>;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PairingError(`Cannot read ${this.path}: it is not JSON (remove it to start over)`);
    }
    const now = this.#now().getTime();
    return {
      pending: (parsed.pending ?? []).filter((p) => Date.parse(p.expiresAt) > now),
      paired: parsed.paired ?? [],
    };
  }

  /** Whether the owner paired `sender` on `channel`. */
  async isPaired(channel: string, sender: string): Promise<boolean> {
    const { paired } = await this.read();
    return paired.some((p) => p.channel === channel && p.sender === sender);
  }

  /**
   * The code for `sender` on `channel`: the one already waiting (`created` false), else a new one;
   * undefined when the channel already has {@link MAX_PENDING} codes waiting.
   */
  async request(
    channel: string,
    sender: string,
  ): Promise<{ readonly pending: PendingPairing; readonly created: boolean } | undefined> {
    return await this.#locked(async () => {
      const state = await this.read();
      const waiting = state.pending.find((p) => p.channel === channel && p.sender === sender);
      if (waiting) return { pending: waiting, created: false };
      if (state.pending.filter((p) => p.channel === channel).length >= MAX_PENDING) {
        return undefined;
      }
      const now = this.#now();
      const pending: PendingPairing = {
        channel,
        sender,
        code: newCode(),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + CODE_TTL_MS).toISOString(),
      };
      await this.#write({ ...state, pending: [...state.pending, pending] });
      return { pending, created: true };
    });
  }

  /** Lets the sender of `code` in. Throws PairingError for a code not waiting on `channel`. */
  approve(channel: string, code: string): Promise<PairedSender> {
    return this.#locked(async () => {
      const { state, found } = await this.#take(channel, code);
      const paired: PairedSender = {
        channel,
        sender: found.sender,
        approvedAt: this.#now().toISOString(),
      };
      await this.#write({ pending: state.pending, paired: [...state.paired, paired] });
      return paired;
    });
  }

  /** Drops a waiting code. Throws PairingError for a code not waiting on `channel`. */
  deny(channel: string, code: string): Promise<PendingPairing> {
    return this.#locked(async () => {
      const { state, found } = await this.#take(channel, code);
      await this.#write(state);
      return found;
    });
  }

  /**
   * Runs a read-modify-write of the file under an exclusive lock of `pairing.lock` beside it, so
   * the gateway's new codes and the CLI's approvals never overwrite each other.
   */
  async #locked<T>(change: () => Promise<T>): Promise<T> {
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    using lock = await Deno.open(`${dir}/pairing.lock`, { create: true, write: true, mode: 0o600 });
    await lock.lock(true);
    try {
      return await change();
    } finally {
      await lock.unlock();
    }
  }

  async #take(channel: string, code: string) {
    const state = await this.read();
    const wanted = code.trim().toUpperCase();
    const found = state.pending.find((p) => p.channel === channel && p.code === wanted);
    if (!found) {
      throw new PairingError(
        `No pairing code ${JSON.stringify(code)} is waiting on ${channel} ` +
          "(codes expire after an hour; `pairing list` shows the waiting ones)",
      );
    }
    return { state: { ...state, pending: state.pending.filter((p) => p !== found) }, found };
  }

  #write(state: PairingState): Promise<void> {
    return writeConfigFile(this.path, state);
  }
}

function newCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  // 256 is a multiple of 32: every character is equally likely.
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
}
