/**
 * Verification of a signed record (PROTOCOL.md, Membership and trust): the signature with a
 * certificate that chains to the owner, not expired or revoked; the signer is the sender; the
 * timestamp is within the clock skew of the record's clock; the record is not a replay.
 *
 * A record's clock is the broker's append time on state topics (LogAppendTime) and the receiver's
 * clock elsewhere; the window and the remembered replay ids both run on it, so a byte-identical
 * copy appended within the window is a replay to every reader: one that catches up from the
 * beginning, and one whose own clock runs ahead. The same record delivered again (its topic,
 * partition and offset the same: after a crash or a rebalance) is not a replay (replay.ts).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  type CertificateFailure,
  checkCertificate,
  type TrustOptions,
  type VerifiedCertificate,
} from "./certs.ts";
import type { Envelope } from "./envelope.ts";
import { protocolError, quote, type Result, type VerifyErrorCode } from "./errors.ts";
import { parseTimestamp } from "./fields.ts";
import { type RecordInput, recordSource } from "./record.ts";
import { replayId, type ReplayStore } from "./replay.ts";
import { HEADERS, recordBytes, verifyBytes } from "./signing.ts";
import { topicKind } from "./topic_specs.ts";
import { OWNER_ID } from "./topics.ts";

/** The default tolerance between a record's timestamp and the reference time: 2 minutes. */
export const DEFAULT_CLOCK_SKEW_MS = 120_000;

/** Options of {@link verifyRecord}. */
export interface VerifyOptions extends TrustOptions {
  /**
   * The broker's append time of the record (its LogAppendTime timestamp), in ms since the epoch.
   * Required on state topics, whose clock it is; not read elsewhere.
   */
  readonly appendTime?: number;
  /** Default {@link DEFAULT_CLOCK_SKEW_MS}. */
  readonly clockSkewMs?: number;
  /** Where replay ids are remembered; without one, replays are not checked. */
  readonly replay?: ReplayStore;
}

/** Who signed a record that verified. */
export interface VerifiedRecord {
  /** The signer's agent id, or `owner`. */
  readonly signer: string;
  /** The signer's certificate; absent for the owner. */
  readonly certificate?: VerifiedCertificate;
  readonly replayId: string;
}

/** A verified record, or why not. */
export type VerifyResult = Result<{ readonly verified: VerifiedRecord }>;

const HEADER_DECODER = new TextDecoder();

function headerOf(record: RecordInput, name: string): string | undefined {
  const value = record.headers?.[name];
  return value instanceof Uint8Array ? HEADER_DECODER.decode(value) : value;
}

/**
 * A signature's one canonical base64url spelling: 64 bytes are 86 characters, unpadded, whose last
 * one carries 2 bits of the last byte and 4 bits that must be zero (so it is A, Q, g or w). The
 * rule of `decodeBase64Url`, checked by shape instead of by spelling the bytes again.
 */
const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{85}[AQgw]$/;

/** A record signature's 64 bytes from its header text, or undefined unless it is canonical. */
function decodeSignature(text: string): Uint8Array | undefined {
  return SIGNATURE_TEXT.test(text) ? Buffer.from(text, "base64url") : undefined;
}

/** A signature check started for a record before it is verified ({@link verifyAhead}). */
interface Ahead {
  readonly publicKey: CryptoKey;
  readonly sigText: string;
  readonly signed: Uint8Array;
  /** Whether it holds; undefined when the check could not be made ahead. */
  readonly holds: Promise<boolean | undefined>;
}

/** Checks started ahead, by record object; each is taken once, by the record's verification. */
const AHEAD = new WeakMap<RecordInput, Ahead>();

/**
 * Starts the signature checks of a batch of records (one fetched batch) all at once, before any
 * of them is verified: WebCrypto runs them on worker threads, together, while the caller goes on
 * with the first records. `verifyRecord` of each record then takes the result instead of checking
 * the signature again, if it is still the same signer's key and signature. Nothing is decided
 * here: the certificate's expiry and revocation, the signer, the time window and the replay are
 * all judged when the record is verified, so a revocation between the two takes effect. Records
 * that are unsigned, malformed or whose signer is not known yet are left to `verifyRecord`.
 * Resolves when every check has started. Never fails for a record's sake.
 */
export async function verifyAhead(
  records: readonly RecordInput[],
  options: TrustOptions,
): Promise<void> {
  const lanes: Promise<unknown>[] = Array(AHEAD_LANES).fill(Promise.resolve());
  let started = 0;
  for (const record of records) {
    const keyId = headerOf(record, HEADERS.keyId);
    const sigText = headerOf(record, HEADERS.signature);
    if (keyId === undefined || sigText === undefined) continue;
    const signature = decodeSignature(sigText);
    if (signature === undefined) continue;
    const signer = await findSigner(keyId, (name) => headerOf(record, name), options);
    if (!signer.ok) continue;
    const { publicKey } = signer;
    const signed = recordBytes({ ...record, key: record.key ?? "" });
    // At most AHEAD_LANES checks at once (a batch of thousands starts no thousands of threads);
    // beyond that, a lane's next check starts when its last one is done.
    const lane = started++ % lanes.length;
    const holds = lanes[lane]!.then(() =>
      crypto.subtle.verify(
        "Ed25519",
        publicKey,
        signature as Uint8Array<ArrayBuffer>,
        signed as Uint8Array<ArrayBuffer>,
      )
    ).catch(() => undefined);
    lanes[lane] = holds;
    AHEAD.set(record, { publicKey, sigText, signed, holds });
  }
}

/**
 * How many signature checks of a batch run at once, at most. Fewer cost more than they bound: a
 * lane waits for the calling thread between two checks (4 lanes were slower than none ahead in
 * signing_bench's setting, all at once faster).
 */
export const AHEAD_LANES = 64;

/** The check started ahead for this record with this key and signature, taken once. */
function checkedAhead(record: RecordInput, publicKey: CryptoKey, sigText: string) {
  const ahead = AHEAD.get(record);
  if (ahead === undefined) return undefined;
  AHEAD.delete(record);
  return ahead.publicKey === publicKey && ahead.sigText === sigText ? ahead : undefined;
}

/**
 * Verifies a signed record whose envelope `parseRecord` has read. A result with code
 * `unknown_signer` means the certificate has not arrived yet: the caller may hold the record for a
 * while (bounded) and try again. Never fails for the record's sake; rejects with a TypeError when
 * a record of a state topic comes without `appendTime`.
 */
export async function verifyRecord(
  record: RecordInput,
  envelope: Envelope,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const source = recordSource(record);
  const { clock, name, state } = recordClock(record.topic, options);
  const fail = (code: VerifyErrorCode, detail: string): VerifyResult => ({
    ok: false,
    error: protocolError(code, detail, { action: "verify record", source }),
  });
  const header = (name: string): string | undefined => headerOf(record, name);
  const keyId = header(HEADERS.keyId);
  const sigText = header(HEADERS.signature);
  if (keyId === undefined || sigText === undefined) {
    return fail("unsigned", "the record has no signature");
  }
  if (keyId !== envelope.sender_id) {
    return fail(
      "sender_mismatch",
      `it is signed by ${quote(keyId)}, but "sender_id" is ${quote(envelope.sender_id)}`,
    );
  }
  const signature = decodeSignature(sigText);
  if (signature === undefined) {
    return fail("bad_header", `"${HEADERS.signature}" is not 64 bytes of base64url`);
  }

  const signer = await findSigner(keyId, header, options);
  if (!signer.ok) return fail(signer.code, signer.detail);
  const ahead = checkedAhead(record, signer.publicKey, sigText);
  const signed = ahead?.signed ?? recordBytes({ ...record, key: record.key ?? "" });
  const holds = await ahead?.holds ?? await verifyBytes(signer.publicKey, signature, signed);
  if (!holds) {
    return fail("bad_signature", `the signature of ${quote(keyId)} does not verify`);
  }
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const timestamp = parseTimestamp(envelope.timestamp) as number;
  if (Math.abs(timestamp - clock) > skew) {
    return fail(
      "clock_skew",
      `"timestamp" ${envelope.timestamp} is more than ${skew} ms from the ${name}`,
    );
  }
  const id = await replayId(signed);
  if (
    options.replay !== undefined &&
    !(await options.replay.remember(
      state ? `${keyId} ${record.topic}` : keyId,
      id,
      { expiresAt: timestamp + skew, now: clock },
      placeOf(record),
    ))
  ) {
    return fail("replay", `${quote(keyId)} sent this record before`);
  }
  const { certificate } = signer;
  const verified = certificate === undefined
    ? { signer: keyId, replayId: id }
    : { signer: keyId, certificate, replayId: id };
  return { ok: true, verified };
}

/**
 * Where a record is, `topic@partition:offset`, as the replay table tells a redelivery of it from
 * a copy (replay.ts); undefined when the transport did not say.
 */
function placeOf(record: RecordInput): string | undefined {
  if (record.partition === undefined || record.offset === undefined) return undefined;
  return `${record.topic}@${record.partition}:${record.offset}`;
}

/**
 * The clock a record is judged by, and what messages call it. On a state topic a sender's replay
 * ids are remembered per topic, so that those of one scope all run on one partition's append
 * times, which only grow (state topics have one partition).
 */
function recordClock(
  topic: string,
  options: VerifyOptions,
): { clock: number; name: string; state: boolean } {
  if (topicKind(topic) !== "state") {
    return { clock: options.now, name: "receiver's clock", state: false };
  }
  if (options.appendTime === undefined) {
    throw new TypeError(`Cannot verify a record of ${topic} without its append time`);
  }
  return { clock: options.appendTime, name: "broker's append time", state: true };
}

/** The signer's key: the owner's, or the one in the signer's certificate, which must chain to it. */
async function findSigner(
  keyId: string,
  header: (name: string) => string | undefined,
  options: VerifyOptions,
): Promise<
  { ok: true; publicKey: CryptoKey; certificate?: VerifiedCertificate } | CertificateFailure
> {
  if (keyId === OWNER_ID) return { ok: true, publicKey: options.ownerKey };
  const cert = header(HEADERS.cert);
  const certSig = header(HEADERS.certSig);
  const bundle = cert !== undefined && certSig !== undefined
    ? { cert, cert_sig: certSig }
    : options.lookupCertificate?.(keyId);
  if (bundle === undefined) {
    return {
      ok: false,
      code: "unknown_signer",
      detail: `the certificate of ${quote(keyId)} is not known yet`,
    };
  }
  const trusted = await checkCertificate(bundle, options);
  if (!trusted.ok) return trusted;
  const { certificate } = trusted.verified;
  if (certificate.agent_id !== keyId) {
    const detail = `the certificate is for ${quote(certificate.agent_id)}, not ${quote(keyId)}`;
    return { ok: false, code: "sender_mismatch", detail };
  }
  return { ok: true, publicKey: trusted.verified.publicKey, certificate: trusted.verified };
}
