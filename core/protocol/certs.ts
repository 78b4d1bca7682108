/**
 * Membership certificates (PROTOCOL.md, Membership and trust). The owner, or an agent whose
 * owner-issued certificate says `issuer: true`, signs `"kafclaw-cert/1\n"` + the certificate's
 * JSON bytes. A chain is at most owner → issuer → member, and an issuer cannot hand out more than it
 * holds: a member certificate from an issuer is no issuer itself, names only the issuer's zones, is
 * vouched only if the issuer is, and expires no later than the issuer's.
 *
 * @module
 */

import { z } from "zod";
import { concatBytes, decodeBase64Url, encodeBase64Url, utf8 } from "./bytes.ts";
import {
  BoundedMap,
  bundleKey,
  CERT_MEMO_SIZE,
  certificateId,
  certificateKey,
  issuerSignatureHolds,
  type ReadCertificate,
} from "./cert_memo.ts";
import { protocolError, quote, type Result, type VerifyErrorCode } from "./errors.ts";
import { AgentId, parseTimestamp, PublicKey, Timestamp, ZoneId } from "./fields.ts";
import { describeIssue } from "./issues.ts";
import { guardJson } from "./json_guard.ts";
import type { CertificateBundle } from "./payloads_group.ts";
import { signBytes } from "./signing.ts";
import { isAgentId, OWNER_ID } from "./topics.ts";

/** What an issuer's signature over a certificate starts with. */
export const CERT_DOMAIN = "kafclaw-cert/1\n";

/** The largest certificate accepted, in bytes. */
export const MAX_CERT_BYTES = 16 * 1024;

/** A membership certificate. */
export const Certificate = z.looseObject({
  agent_id: AgentId,
  public_key: PublicKey,
  zones: z.array(ZoneId),
  vouched: z.boolean(),
  issuer: z.boolean(),
  not_after: Timestamp,
  issuer_id: AgentId.meta({ description: '"owner", or the agent id of an issuer' }),
}).meta({ id: "Certificate" });

/** A membership certificate. */
export type Certificate = z.output<typeof Certificate>;

/**
 * Issues a certificate: its JSON bytes and the issuer's signature, both base64url.
 *
 * @example
 * ```ts
 * import { exportPublicKey, generateKeyPair } from "./signing.ts";
 * import { issueCertificate } from "./certs.ts";
 * const owner = await generateKeyPair();
 * const alice = await generateKeyPair();
 * const bundle = await issueCertificate({
 *   agent_id: "alice",
 *   public_key: await exportPublicKey(alice.publicKey),
 *   zones: ["public"],
 *   vouched: false,
 *   issuer: false,
 *   not_after: "2027-01-01T00:00:00Z",
 *   issuer_id: "owner",
 * }, owner.privateKey);
 * ```
 */
export async function issueCertificate(
  certificate: Certificate,
  issuerKey: CryptoKey,
): Promise<CertificateBundle> {
  const bytes = utf8(JSON.stringify(certificate));
  const signature = await signBytes(issuerKey, concatBytes(CERT_DOMAIN, bytes));
  return { cert: encodeBase64Url(bytes), cert_sig: encodeBase64Url(signature) };
}

/** A certificate read from its bundle, before any trust decision. */
export interface DecodedCertificate {
  readonly certificate: Certificate;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** Why a certificate was refused, before it is worded for a certificate or for a record. */
export interface CertificateFailure {
  readonly ok: false;
  readonly code: VerifyErrorCode;
  readonly detail: string;
}

function refuse(code: VerifyErrorCode, detail: string): CertificateFailure {
  return { ok: false, code, detail };
}

function asResult<T extends object>(outcome: ({ ok: true } & T) | CertificateFailure): Result<T> {
  if (outcome.ok) return outcome;
  return {
    ok: false,
    error: protocolError(outcome.code, outcome.detail, { action: "verify certificate" }),
  };
}

/**
 * Reads a certificate bundle (base64url, JSON under the poison rules, schema). Never throws. A
 * bundle read before (here, or to verify it) is not read again: its certificate is the one read
 * then (cert_memo.ts).
 */
export function decodeCertificate(bundle: CertificateBundle): Result<DecodedCertificate> {
  const found = read(bundle, bundleKey(bundle));
  if (!found.ok) return asResult(found);
  const { certificate, bytes, signature } = found.read;
  return { ok: true, certificate, bytes, signature };
}

function decode(
  bundle: CertificateBundle,
): ({ ok: true } & DecodedCertificate) | CertificateFailure {
  const bytes = decodeBase64Url(bundle.cert);
  if (bytes === undefined) return refuse("bad_certificate", "the certificate is not base64url");
  const signature = decodeBase64Url(bundle.cert_sig);
  if (signature?.length !== 64) {
    return refuse("bad_certificate", "the certificate's signature is not 64 bytes of base64url");
  }
  const json = guardJson(bytes, MAX_CERT_BYTES);
  if (!json.ok) {
    return refuse("bad_certificate", `the certificate is poison: ${json.failure.detail}`);
  }
  const parsed = Certificate.safeParse(json.value, { reportInput: true });
  if (!parsed.success) {
    const { detail } = describeIssue(parsed.error.issues[0] as z.core.$ZodIssue);
    return refuse("bad_certificate", `in the certificate, ${detail}`);
  }
  return { ok: true, certificate: parsed.data, bytes, signature };
}

/** Where trust comes from, and what it excludes. */
export interface TrustOptions {
  /** The group owner's public key, pinned in config. */
  readonly ownerKey: CryptoKey;
  /** Finds an agent's certificate (issuers' included), e.g. from the roster. */
  readonly lookupCertificate?: (agentId: string) => CertificateBundle | undefined;
  /** Revoked agent ids (from `{revoked: true}` roster records) and certificate ids. */
  readonly revoked?: ReadonlySet<string>;
  /** The receiver's clock, in ms since the epoch. */
  readonly now: number;
}

/** A certificate that chains to the owner, with its key. */
export interface VerifiedCertificate {
  readonly certificate: Certificate;
  readonly publicKey: CryptoKey;
  /** The SHA-256 (hex) of the certificate's bytes. */
  readonly id: string;
  /** The issuer's certificate, when an issuer and not the owner signed it. */
  readonly issuer?: VerifiedCertificate;
}

/** A verified certificate, or why not. */
export type CertificateResult = Result<{ readonly verified: VerifiedCertificate }>;

/** What {@link checkCertificate} finds. */
export type CertificateCheck =
  | { readonly ok: true; readonly verified: VerifiedCertificate }
  | CertificateFailure;

const NO_REVOCATIONS: ReadonlySet<string> = new Set();

/** Certificates read before, by their bundle's exact text (cert_memo.ts). */
const readBefore = new BoundedMap<string, ReadCertificate<Certificate>>(CERT_MEMO_SIZE);

/**
 * The same, by bundle object: a cache hands out the same bundle for every record of its agent, so
 * most records find their certificate without joining and hashing its text again.
 */
const readObjects = new WeakMap<
  CertificateBundle,
  { cert: string; certSig: string; key: string; read: ReadCertificate<Certificate> }
>();

/** Reads a bundle, or finds it read before. */
function read(
  bundle: CertificateBundle,
): { ok: true; key: string; read: ReadCertificate<Certificate> } | CertificateFailure {
  const same = readObjects.get(bundle);
  if (same?.cert === bundle.cert && same.certSig === bundle.cert_sig) {
    return { ok: true, key: same.key, read: same.read };
  }
  const key = bundleKey(bundle);
  let found = readBefore.get(key);
  if (found === undefined) {
    const decoded = decode(bundle);
    if (!decoded.ok) return decoded;
    const { certificate, bytes, signature } = decoded;
    const notAfter = parseTimestamp(certificate.not_after) as number;
    found = { certificate, bytes, signature, notAfter };
    readBefore.set(key, found);
  }
  readObjects.set(bundle, { cert: bundle.cert, certSig: bundle.cert_sig, key, read: found });
  return { ok: true, key, read: found };
}

/**
 * Checks that a certificate chains to the owner and is neither expired nor revoked. Never throws.
 * Code `unknown_signer` means an issuer's certificate is not known yet. What depends on a
 * certificate's bytes alone (reading it, the issuer's signature, its key) is worked out once per
 * certificate; expiry and revocation are checked on every call (cert_memo.ts).
 */
export async function verifyCertificate(
  bundle: CertificateBundle,
  options: TrustOptions,
): Promise<CertificateResult> {
  return asResult(await checkCertificate(bundle, options));
}

/** {@link verifyCertificate}, with the failure not yet worded (for `verifyRecord`). */
export function checkCertificate(
  bundle: CertificateBundle,
  options: TrustOptions,
): Promise<CertificateCheck> {
  return checkLevel(bundle, options, false);
}

async function checkLevel(
  bundle: CertificateBundle,
  options: TrustOptions,
  asIssuer: boolean,
): Promise<CertificateCheck> {
  const found = read(bundle);
  if (!found.ok) return found;
  const { key } = found;
  const { certificate, bytes, signature, notAfter } = found.read;
  const fail = (code: VerifyErrorCode, detail: string) =>
    refuse(code, `the certificate of ${quote(certificate.agent_id)} ${detail}`);
  if (!isAgentId(certificate.agent_id)) return fail("bad_certificate", "names a reserved id");
  let issuerKey = options.ownerKey;
  let issuer: VerifiedCertificate | undefined;
  if (certificate.issuer_id !== OWNER_ID) {
    if (asIssuer) {
      return fail("untrusted_certificate", "is an issuer's, and does not come from the owner");
    }
    const issuerBundle = options.lookupCertificate?.(certificate.issuer_id);
    if (issuerBundle === undefined) {
      return fail(
        "unknown_signer",
        `comes from ${quote(certificate.issuer_id)}, whose certificate is not known yet`,
      );
    }
    const up = await checkLevel(issuerBundle, options, true);
    if (!up.ok) return up;
    const excess = beyondIssuer(certificate, up.verified.certificate);
    if (excess !== undefined) return fail("untrusted_certificate", excess);
    issuer = up.verified;
    issuerKey = issuer.publicKey;
  }
  const signed = () => concatBytes(CERT_DOMAIN, bytes);
  if (!(await issuerSignatureHolds(issuerKey, key, signature, signed))) {
    return fail(
      "untrusted_certificate",
      `does not verify with the key of ${quote(certificate.issuer_id)}`,
    );
  }
  if (options.now > notAfter) {
    return fail("certificate_expired", `expired at ${certificate.not_after}`);
  }
  const id = await certificateId(found.read);
  const revoked = options.revoked ?? NO_REVOCATIONS;
  if (revoked.has(certificate.agent_id) || revoked.has(id)) {
    return fail("certificate_revoked", "is revoked");
  }
  const publicKey = await certificateKey(found.read, certificate.public_key);
  const verified = issuer === undefined
    ? { certificate, publicKey, id }
    : { certificate, publicKey, id, issuer };
  return { ok: true, verified };
}

/** What a certificate claims beyond what its issuer may give, if anything. */
function beyondIssuer(certificate: Certificate, issuer: Certificate): string | undefined {
  if (issuer.agent_id !== certificate.issuer_id) {
    return `comes with an issuer certificate for ${quote(issuer.agent_id)}`;
  }
  if (!issuer.issuer) return `comes from ${quote(issuer.agent_id)}, which is not an issuer`;
  if (certificate.issuer) return "makes an issuer, which only the owner may do";
  if (certificate.vouched && !issuer.vouched) return "is vouched by an issuer that is not";
  const zone = certificate.zones.find((zone) => !issuer.zones.includes(zone));
  if (zone !== undefined) return `names zone ${quote(zone)}, which its issuer does not have`;
  if (
    (parseTimestamp(certificate.not_after) as number) > (parseTimestamp(issuer.not_after) as number)
  ) {
    return "outlives its issuer's certificate";
  }
  return undefined;
}
