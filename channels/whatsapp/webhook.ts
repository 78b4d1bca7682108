/**
 * What Meta sends to a WhatsApp Cloud API webhook, and how it is checked:
 *
 * - The subscription check (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`): the
 *   challenge is echoed only when the verify token is the configured one ({@link verifyChallenge}).
 * - Every notification (`POST`) carries `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of
 *   the raw body under the app secret ({@link signatureValid}); both comparisons take a time that
 *   does not depend on where the values differ.
 * - The body, `{object, entry: [{changes: [{field, value: {metadata, messages, statuses}}]}]}`,
 *   parsed with zod ({@link parseNotification}); unknown fields and message types pass through
 *   untouched, so a new kind of message Meta adds is skipped rather than refused.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { sameSecret } from "../body.ts";

export { sameSecret };

/** The challenge to echo for a subscription check, or undefined when it must be refused. */
export function verifyChallenge(params: URLSearchParams, verifyToken: string): string | undefined {
  const challenge = params.get("hub.challenge");
  if (params.get("hub.mode") !== "subscribe" || challenge === null) return undefined;
  return sameSecret(params.get("hub.verify_token") ?? "", verifyToken) ? challenge : undefined;
}

/** Whether `header` (`sha256=<64 hex>`) signs `body` under `appSecret`. */
export function signatureValid(body: Uint8Array, header: string | null, appSecret: string) {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? "");
  if (!match) return false;
  const expected = createHmac("sha256", appSecret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, "hex"), expected);
}

const media = z.object({
  id: z.string(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
});

const message = z.looseObject({
  from: z.string(),
  id: z.string(),
  timestamp: z.string().optional(),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  audio: media.optional(),
  image: media.optional(),
  document: media.optional(),
  video: media.optional(),
  context: z.object({ id: z.string().optional() }).optional(),
});

const status = z.looseObject({
  id: z.string(),
  status: z.string(),
  recipient_id: z.string().optional(),
  errors: z.array(z.looseObject({
    code: z.number(),
    title: z.string().optional(),
    message: z.string().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
  })).optional(),
});

const notification = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({
    changes: z.array(z.looseObject({
      field: z.string().optional(),
      value: z.looseObject({
        metadata: z.object({ phone_number_id: z.string() }).optional(),
        messages: z.array(message).optional(),
        statuses: z.array(status).optional(),
      }),
    })),
  })),
});

/** One inbound message of a notification. */
export type WhatsAppMessage = z.infer<typeof message>;
/** One status (sent, delivered, read, failed) of a message the business sent. */
export type WhatsAppStatus = z.infer<typeof status>;

/** The messages and statuses of a notification for `phoneNumberId` (others' are skipped). */
export interface Notification {
  readonly messages: WhatsAppMessage[];
  readonly statuses: WhatsAppStatus[];
}

/** Parses a notification body; throws a one-line error for one that is not Meta's shape. */
export function parseNotification(body: string, phoneNumberId: string): Notification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TypeError("the body is not JSON");
  }
  const parsed = notification.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(
      `not a WhatsApp notification (${issue?.path.join(".")}: ${issue?.message})`,
    );
  }
  const out: Notification = { messages: [], statuses: [] };
  if (parsed.data.object !== "whatsapp_business_account") return out;
  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      // A business account's numbers share one webhook: only this channel's number is read.
      if (value.metadata?.phone_number_id !== phoneNumberId) continue;
      out.messages.push(...value.messages ?? []);
      out.statuses.push(...value.statuses ?? []);
    }
  }
  return out;
}
