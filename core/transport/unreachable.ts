/**
 * Kafka that cannot be reached, as one typed error: which address failed and why, in classes a
 * user can act on (connection refused, a name that does not resolve, no answer in time, a peer that
 * closed the connection or is not Kafka, a failed TLS handshake, refused SASL credentials). The
 * kafkajs client (kafka_client.ts) turns the errors of its connections into it at one place;
 * the CLI and the gateway word it with the config key and what to do. It holds no credentials:
 * only addresses, the class and, for an error of no known class, the socket's own words.
 *
 * @module
 */
import { errorChain, type ErrorFacts } from "../errors/mod.ts";

/** Why Kafka could not be reached. */
export type KafkaFailure =
  | "refused"
  | "unresolved"
  | "timeout"
  | "closed"
  | "tls"
  | "sasl"
  | "other";

/** What {@link KafkaUnreachableError} says of each class. */
const REASONS: Readonly<Record<Exclude<KafkaFailure, "other">, string>> = {
  refused: "connection refused",
  unresolved: "the host name does not resolve",
  timeout: "no answer in time",
  closed: "the server closed the connection",
  tls: "the TLS handshake failed",
  sasl: "SASL authentication failed",
};

/** Kafka could not be reached at `address` (one of `brokers`, or one they named). */
export class KafkaUnreachableError extends Error {
  override name = "KafkaUnreachableError";
  /** The bootstrap brokers the client was given. */
  readonly brokers: readonly string[];
  /** The address whose connection failed: a bootstrap broker, or one the cluster advertised. */
  readonly address: string;
  readonly failure: KafkaFailure;
  /** The reason in words: the class's, or the socket's own for `other`. */
  readonly reason: string;

  constructor(
    facts: {
      readonly brokers: readonly string[];
      readonly address?: string | undefined;
      readonly failure: KafkaFailure;
      readonly detail?: string | undefined;
    },
    options?: { readonly cause?: unknown },
  ) {
    const address = facts.address ?? facts.brokers.join(",");
    const reason = facts.failure === "other"
      ? (facts.detail ?? "the connection failed")
      : REASONS[facts.failure];
    super(`Cannot reach Kafka at ${address}: ${reason}`, options);
    this.brokers = [...facts.brokers];
    this.address = address;
    this.failure = facts.failure;
    this.reason = reason;
  }
}

/** kafkajs's errors that mean the connection, not the request, failed. */
const CONNECTION_ERRORS = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSSASLAuthenticationError",
]);

/** Kafka's own error types for a SASL login that did not succeed. */
const SASL_TYPES = new Set([
  "SASL_AUTHENTICATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
]);

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;
const TLS_WORDS = /\b(TLS|SSL)\b|certificate/i;

/** The class of one connection failure. */
function failureOf(e: ErrorFacts): KafkaFailure {
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : "";
  if (e.name === "KafkaJSSASLAuthenticationError" || SASL_TYPES.has(e.type as string)) {
    return "sasl";
  }
  if (TLS_CODE.test(code) || TLS_WORDS.test(message)) return "tls";
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return "unresolved";
  if (code === "ETIMEDOUT" || e.name === "KafkaJSRequestTimeoutError") return "timeout";
  if (/^Connection timeout$/.test(message)) return "timeout";
  if (e.name === "KafkaJSConnectionClosedError" || code === "ECONNRESET" || code === "EPIPE") {
    return "closed";
  }
  if (/closed/i.test(message)) return "closed";
  return "other";
}

/** The socket's words of an error of no known class, without kafkajs's prefixes. */
function detailOf(e: ErrorFacts): string | undefined {
  const message = typeof e.message === "string" ? e.message : "";
  const words = message.replace(/^(Connection error|Failed to connect):\s*/, "").split("\n")[0]!
    .trim();
  return words === "" ? undefined : words;
}

/**
 * `error` as a {@link KafkaUnreachableError} when it, or an error it wraps, is a failure of a
 * connection to `brokers` (or a refused SASL login); undefined for any other error (a request the
 * broker refused, a programming error), which the caller keeps as it is.
 */
export function unreachable(
  error: unknown,
  brokers: readonly string[],
): KafkaUnreachableError | undefined {
  if (error instanceof KafkaUnreachableError) return error;
  const failed = errorChain(error).find((e) =>
    CONNECTION_ERRORS.has(e.name as string) || SASL_TYPES.has(e.type as string)
  );
  if (failed === undefined) return undefined;
  const failure = failureOf(failed);
  const address = typeof failed.broker === "string" && failed.broker !== "undefined:undefined"
    ? failed.broker
    : undefined;
  return new KafkaUnreachableError(
    { brokers, address, failure, ...(failure === "other" ? { detail: detailOf(failed) } : {}) },
    { cause: error },
  );
}
