/** The version of KafClaw for Deno; deno.json's "version" must say the same (a unit test checks). */
export const VERSION = "0.1.0";

/** The wire protocol version this build speaks (PROTOCOL.md). */
export const PROTOCOL = "kafclaw/1";
