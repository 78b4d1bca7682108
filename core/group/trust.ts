/**
 * Trust in a signed group (PROTOCOL.md, Membership and trust): every record is verified over its
 * exact bytes against a certificate that chains to the owner key, is neither expired nor revoked,
 * within the timestamp window, and not a replay (core/protocol `verifyRecord`). What fails is
 * dropped and audited.
 *
 * Certificates are cached by agent, from the roster's `cert:<id>` records and from the `kc-cert`
 * headers of records, apart from liveness: a quiet or brand-new agent's records still verify. A
 * record whose signer's certificate has not arrived yet is parked, not dropped
 * ({@link GroupTrust.guard}): it waits until the certificate arrives, and then goes through; after
 * `parkMs`, or beyond `parkLimit` parked records or `parkBytes` of their values, it is dropped and
 * audited. It waits outside the subscription's executor (transport `HandlerResult.ready`), so the
 * records behind it (other senders' heartbeats, above all) go on; only its offset's commit waits.
 * A certificate the owner issued that has expired is kept apart: its agent's records wait for
 * nothing, and are refused as expired.
 *
 * @module
 */
import {
  type Certificate,
  type CertificateBundle,
  decodeCertificate,
  type Envelope,
  HEADERS,
  OWNER_ID,
  type RecordInput,
  recordSource,
  type ReplayStore,
  verifyAhead,
  verifyCertificate,
  verifyRecord,
} from "../protocol/mod.ts";
import type { InboundRecord, RecordHandler } from "../transport/mod.ts";
import type { Trust } from "./task_intake.ts";

/** Why a record was dropped, as the audit records it (PROTOCOL.md `audit` event types). */
export interface Dropped {
  /** `signature_invalid`, `replay_dropped`, or `certificate_missing` when parking ran out. */
  readonly eventType: "signature_invalid" | "replay_dropped" | "certificate_missing";
  /** The verification code (`bad_signature`, `certificate_revoked` …) or `parked`. */
  readonly code: string;
  /** The sender the record claims. */
  readonly agentId: string;
  readonly topic: string;
  readonly detail: string;
}

/** What a {@link GroupTrust} is built from. */
export interface GroupTrustOptions {
  /** The group owner's public key, pinned in config. */
  readonly ownerKey: CryptoKey;
  /** Where replay ids of stream and work records are remembered (SQLite in production). */
  readonly replay: ReplayStore;
  /** Called for every record dropped. */
  readonly audit: (dropped: Dropped) => void;
  /** Default 120000. */
  readonly clockSkewMs?: number | undefined;
  /** How long a record waits for its signer's certificate. Default 60000. */
  readonly parkMs?: number | undefined;
  /** How many records may wait at once. Default 1000. */
  readonly parkLimit?: number | undefined;
  /** How many bytes of record values may wait at once. Default 16 MiB. */
  readonly parkBytes?: number | undefined;
  /** The receiver's clock, ms since the epoch. */
  readonly now?: () => number;
}

/** Why a certificate was not taken: its verification code and the words for it. */
export interface CertificateRefusal {
  readonly code: string;
  readonly message: string;
}

/** A verified record's signer, or why the record is refused. */
export type TrustVerdict =
  | { readonly ok: true; readonly signer: string; readonly vouched: boolean }
  | { readonly ok: false; readonly code: string; readonly reason: string };

const decoder = new TextDecoder();

function header(record: RecordInput, name: string): string | undefined {
  const value = record.headers?.[name];
  return value instanceof Uint8Array ? decoder.decode(value) : value;
}

/** Handlers that start their batches' signature checks themselves ({@link startsOwnChecks}). */
const OWN_CHECKS = new WeakSet<RecordHandler>();

/**
 * Marks `handler` as one whose `prepare` starts the signature checks of each fetched batch itself
 * (the roster feed's handlers, which leave out the records not worth checking, and read without
 * a guard too): a guard around it starts none of its own, so each batch's checks are started by
 * exactly one layer.
 */
export function startsOwnChecks<H extends RecordHandler & Required<Pick<RecordHandler, "prepare">>>(
  handler: H,
): H {
  OWN_CHECKS.add(handler);
  return handler;
}

/** Certificates, revocations, replay and parking of one agent in a signed group. */
export class GroupTrust {
  readonly #options: GroupTrustOptions;
  readonly #now: () => number;
  readonly #certs = new Map<string, CertificateBundle>();
  /**
   * Certificates that chain to the owner but have expired, by agent, while no valid one is known:
   * records signed under them verify against them, and so are refused as expired.
   */
  readonly #expired = new Map<string, CertificateBundle>();
  /** Each cached certificate, read. */
  readonly #held = new Map<string, Certificate>();
  readonly #revoked = new Set<string>();
  readonly #waiting = new Map<string, Set<() => void>>();
  /** What {@link trust} found for each record it was asked of: a record is verified once. */
  readonly #verdicts = new WeakMap<RecordInput, ReturnType<Trust>>();
  #parked = 0;
  #parkedBytes = 0;

  constructor(options: GroupTrustOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** How many records wait for a certificate now. */
  get parked(): number {
    return this.#parked;
  }

  /**
   * Caches a certificate after checking that it chains to the owner and is neither expired nor
   * revoked, and lets the records parked for its agent go on. Returns why not, when it does not.
   * An expired one is remembered: the records parked for its agent go on, to be refused as expired.
   */
  async learn(bundle: CertificateBundle): Promise<CertificateRefusal | undefined> {
    const checked = await verifyCertificate(bundle, this.#trustOptions());
    if (!checked.ok) {
      // An expired certificate was read and its signature checked: it names its agent.
      const read = checked.error.code === "certificate_expired"
        ? decodeCertificate(bundle)
        : undefined;
      const agentId = read?.ok ? read.certificate.agent_id : undefined;
      if (agentId !== undefined && !this.#certs.has(agentId)) {
        this.#expired.set(agentId, { cert: bundle.cert, cert_sig: bundle.cert_sig });
        this.#wake(agentId);
      }
      return { code: checked.error.code, message: checked.error.message };
    }
    const agentId = checked.verified.certificate.agent_id;
    this.#certs.set(agentId, { cert: bundle.cert, cert_sig: bundle.cert_sig });
    this.#expired.delete(agentId);
    this.#held.set(agentId, checked.verified.certificate);
    this.#wake(agentId);
    return undefined;
  }

  /** Lets the records parked for `agentId` go on. */
  #wake(agentId: string): void {
    const waiters = this.#waiting.get(agentId);
    this.#waiting.delete(agentId);
    for (const wake of waiters ?? []) wake();
  }

  /** Revokes an agent: its cached certificate goes, and its records are refused from now on. */
  revoke(agentId: string): void {
    this.#revoked.add(agentId);
    this.#certs.delete(agentId);
    this.#held.delete(agentId);
  }

  /**
   * The zones named by the certificate known for `agentId` (the latest one verified: the roster's
   * `cert:<id>`, or the one its records carried first), or undefined when none is known.
   */
  certifiedZones(agentId: string): readonly string[] | undefined {
    return this.#held.get(agentId)?.zones;
  }

  /** The certificate known for `agentId`, as {@link certifiedZones} picks it, read; or undefined. */
  certificateOf(agentId: string): Certificate | undefined {
    return this.#held.get(agentId);
  }

  /** The public key `agentId` is certified with: its certificate's, or its expired one's. */
  keyOf(agentId: string): string | undefined {
    const held = this.#held.get(agentId)?.public_key;
    if (held !== undefined) return held;
    const expired = this.#expired.get(agentId);
    const read = expired === undefined ? undefined : decodeCertificate(expired);
    return read?.ok ? read.certificate.public_key : undefined;
  }

  /**
   * Verifies a parsed record. On a state topic (`appendTime` given: the broker's LogAppendTime)
   * the timestamp window runs on append time, and replays are looked for in `stateReplay`, the
   * per-run table of a reader that reads the whole topic every run; elsewhere on the receiver's
   * clock, in the replay table. What fails, but for a certificate not known yet, is audited.
   */
  async verify(
    record: RecordInput,
    envelope: Envelope,
    state?: { readonly appendTime: number; readonly replay: ReplayStore },
  ): Promise<TrustVerdict> {
    const now = this.#now();
    const result = await verifyRecord(record, envelope, {
      ...this.#trustOptions(),
      clockSkewMs: this.#options.clockSkewMs ?? 120_000,
      replay: state?.replay ?? this.#options.replay,
      ...(state === undefined ? {} : { appendTime: state.appendTime }),
      now: state?.appendTime ?? now,
    });
    if (!result.ok) {
      // A revoked agent's certificate is no longer cached, so its records find no key: they are
      // refused as revoked, and audited, not taken for a certificate still on its way.
      const revoked = result.error.code === "unknown_signer" &&
        this.#revoked.has(envelope.sender_id);
      const code = revoked ? "certificate_revoked" : result.error.code;
      const message = revoked
        ? `Cannot verify record from ${recordSource(record)}: "${envelope.sender_id}" is revoked`
        : result.error.message;
      if (code !== "unknown_signer") {
        this.#options.audit({
          eventType: code === "replay" ? "replay_dropped" : "signature_invalid",
          code,
          agentId: envelope.sender_id,
          topic: record.topic,
          detail: message,
        });
      }
      return { ok: false, code, reason: message };
    }
    const { verified } = result;
    const cert = header(record, HEADERS.cert);
    const certSig = header(record, HEADERS.certSig);
    if (cert !== undefined && certSig !== undefined && !this.#certs.has(verified.signer)) {
      await this.learn({ cert, cert_sig: certSig });
    }
    return {
      ok: true,
      signer: verified.signer,
      vouched: verified.certificate?.certificate.vouched ?? verified.signer === OWNER_ID,
    };
  }

  /**
   * The {@link Trust} a task intake and the task streams check senders with. A record asked of
   * again (its stream's sender check, then the handler's own) gets the verdict it got first: it
   * is not verified twice.
   */
  readonly trust: Trust = (record, envelope) => {
    let verdict = this.#verdicts.get(record);
    if (verdict === undefined) {
      verdict = this.verify(record, envelope).then((v) =>
        v.ok ? { ok: true as const, vouched: v.vouched } : v
      );
      this.#verdicts.set(record, verdict);
    }
    return verdict;
  };

  /**
   * Wraps a handler so that a record signed by an agent whose certificate is not known yet (and
   * does not come with one) waits for it, as work, instead of being dropped. Other records go
   * straight to `handler`. Its `prepare` starts each fetched batch's signature checks together,
   * unless `handler` starts them itself ({@link startsOwnChecks}).
   */
  guard(handler: RecordHandler): RecordHandler {
    const guarded: RecordHandler = (record) => {
      const keyId = header(record, HEADERS.keyId);
      const waits = keyId !== undefined && keyId !== OWNER_ID && !this.#certs.has(keyId) &&
        !this.#expired.has(keyId) && header(record, HEADERS.cert) === undefined &&
        !this.#revoked.has(keyId);
      if (!waits) return handler(record);
      const drop = (detail: string) => {
        this.#options.audit({
          eventType: "certificate_missing",
          code: "parked",
          agentId: keyId,
          topic: record.topic,
          detail,
        });
      };
      const bytes = record.value.byteLength;
      const limit = this.#options.parkLimit ?? 1000;
      const byteLimit = this.#options.parkBytes ?? 16 * 1024 * 1024;
      if (this.#parked >= limit || this.#parkedBytes + bytes > byteLimit) {
        drop(
          `dropped: ${this.#parked} records (${this.#parkedBytes} bytes) already wait for ` +
            `certificates, at most ${limit} (${byteLimit} bytes)`,
        );
        return;
      }
      this.#parked++;
      this.#parkedBytes += bytes;
      // The record waits apart from the executor (transport HandlerResult `ready`): the
      // records behind it go on meanwhile.
      const arrived = this.#arrival(keyId).finally(() => {
        this.#parked--;
        this.#parkedBytes -= bytes;
      });
      return {
        ready: arrived,
        work: async () => {
          if (!(await arrived)) {
            drop(`the certificate of "${keyId}" did not arrive in time`);
            return;
          }
          const result = await handler(record);
          if (result && "work" in result) {
            await result.ready;
            return await result.work();
          }
        },
      };
    };
    // A fetched batch's signature checks start together; each record is still verified alone.
    // A handler that starts its own (startsOwnChecks) is left to it.
    const prepare = OWN_CHECKS.has(handler) ? handler.prepare! : async (
      records: readonly InboundRecord[],
    ) => {
      await this.verifyAhead(records);
      await handler.prepare?.(records);
    };
    return Object.assign(guarded, { prepare });
  }

  /**
   * Starts the signature checks of a batch of records together, before each is verified
   * (core/protocol `verifyAhead`); what is judged at verification (revocation, expiry, the time
   * window, replays) is still judged then.
   */
  verifyAhead(records: readonly RecordInput[]): Promise<void> {
    return verifyAhead(records, this.#trustOptions());
  }

  /**
   * Resolves true when the certificate of `agentId`, not known now (the guard has looked), arrives
   * (valid or expired), false after `parkMs`.
   */
  #arrival(agentId: string): Promise<boolean> {
    return new Promise((resolve) => {
      let waiters = this.#waiting.get(agentId);
      if (waiters === undefined) this.#waiting.set(agentId, waiters = new Set());
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        resolve(false);
      }, this.#options.parkMs ?? 60_000);
      waiters.add(wake);
    });
  }

  #trustOptions() {
    return {
      ownerKey: this.#options.ownerKey,
      lookupCertificate: (agentId: string) =>
        this.#certs.get(agentId) ?? this.#expired.get(agentId),
      revoked: this.#revoked,
      now: this.#now(),
    };
  }
}
