/**
 * Fuzz target: WhatsApp's webhook from a hostile network. A notification body, however broken,
 * is parsed into messages or refused with a TypeError (answered 400), never anything else; a
 * signature header, however made, never throws, and only the HMAC of the very body under the app
 * secret passes (a body changed after signing is refused).
 */
import { createHmac } from "node:crypto";
import { parseNotification, signatureValid } from "../../channels/whatsapp/mod.ts";
import { mutate, pick } from "./config_fuzz.ts";

const SECRET = "fuzz-app-secret";
const PHONE = "1065";

const VALID = JSON.stringify({
  object: "whatsapp_business_account",
  entry: [{
    id: "1",
    changes: [{
      field: "messages",
      value: {
        metadata: { phone_number_id: PHONE },
        messages: [
          { from: "491", id: "wamid.1", type: "text", text: { body: "hi" } },
          { from: "491", id: "wamid.2", type: "image", image: { id: "9", caption: "c" } },
        ],
        statuses: [{ id: "wamid.0", status: "failed", errors: [{ code: 131047 }] }],
      },
    }],
  }],
});

const HEADERS = ["", "sha256=", "sha256=zz", "SHA256=00", "sha1=00", "sha256=" + "0".repeat(64)];

const sign = (body: string) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

/** How many bodies were parsed (and with how many messages) and how many refused. */
export interface WhatsAppFuzzSummary {
  parsed: number;
  messages: number;
  refused: number;
}

/** Runs `iterations` random notifications; throws on the first broken promise. */
export function fuzzWhatsApp(rng: () => number, iterations: number): WhatsAppFuzzSummary {
  const summary = { parsed: 0, messages: 0, refused: 0 };
  const encode = (s: string) => new TextEncoder().encode(s);
  for (let i = 0; i < iterations; i++) {
    let body = VALID;
    const rounds = 1 + Math.floor(rng() * 6);
    for (let r = 0; r < rounds; r++) body = mutate(rng, body);
    try {
      const parsed = parseNotification(body, PHONE);
      if (!Array.isArray(parsed.messages) || !Array.isArray(parsed.statuses)) {
        throw new Error(`parsed into no lists: ${body}`);
      }
      summary.parsed++;
      summary.messages += parsed.messages.length;
    } catch (error) {
      summary.refused++;
      if (!(error instanceof TypeError)) throw new Error(`${error} for ${JSON.stringify(body)}`);
      if (error.message.includes("\n")) throw new Error(`a refusal of two lines: ${error.message}`);
    }
    const header = rng() < 0.5 ? mutate(rng, sign(VALID)) : pick(rng, HEADERS);
    const right = header === sign(body);
    if (signatureValid(encode(body), header, SECRET) !== right) {
      throw new Error(`signature ${header} judged wrongly for ${JSON.stringify(body)}`);
    }
    if (body !== VALID && signatureValid(encode(body), sign(VALID), SECRET)) {
      throw new Error(`a changed body passed with the original signature: ${body}`);
    }
  }
  return summary;
}
