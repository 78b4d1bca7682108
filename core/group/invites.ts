/**
 * One-time invites for gated onboarding (PROTOCOL.md, Membership and trust, Onboarding). The owner
 * makes an invite (`kafclaw group invite`) and hands its secret to the newcomer out of band; the
 * sponsor sends a random challenge, and the newcomer proves it holds the secret by answering
 * `HMAC-SHA256(invite, challenge ‖ requester_id ‖ public_key ‖ sponsor_id)`: the key is the invite
 * text's UTF-8 bytes, the message the four fields' UTF-8 bytes one after another, the answer
 * base64url without padding. The sponsor compares answers in constant time.
 *
 * @module
 */
import { decodeBase64Url, encodeBase64Url } from "../protocol/mod.ts";

/** What an invite's proof binds: one challenge, one newcomer, its key, one sponsor. */
export interface ProofParts {
  readonly challenge: string;
  readonly requesterId: string;
  readonly publicKey: string;
  readonly sponsorId: string;
}

const encoder = new TextEncoder();

/** Random bytes as base64url: invite secrets (32 bytes) and challenges. */
export function randomToken(bytes = 32): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * The newcomer's answer to a challenge, with the invite it holds.
 *
 * @example
 * ```ts
 * import { inviteProof } from "./invites.ts";
 * const parts = { challenge: "c", requesterId: "bob", publicKey: "k", sponsorId: "alice" };
 * const answer = await inviteProof("the-invite", parts); // 43 characters of base64url
 * ```
 */
export async function inviteProof(invite: string, parts: ProofParts): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(invite),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const message = encoder.encode(
    parts.challenge + parts.requesterId + parts.publicKey + parts.sponsorId,
  );
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
}

/** Whether two byte strings are equal, in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * The invite among `invites` whose proof `answer` is, or undefined. Every candidate is checked,
 * each in constant time, so the time taken says nothing about which one (if any) matched.
 */
export async function matchInvite<T extends { readonly secret: string }>(
  answer: string,
  invites: readonly T[],
  parts: ProofParts,
): Promise<T | undefined> {
  const given = decodeBase64Url(answer) ?? new Uint8Array();
  let found: T | undefined;
  for (const invite of invites) {
    const expected = decodeBase64Url(await inviteProof(invite.secret, parts)) as Uint8Array;
    if (constantTimeEqual(given, expected) && found === undefined) found = invite;
  }
  return found;
}
