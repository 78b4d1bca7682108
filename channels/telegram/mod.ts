/**
 * Telegram through grammY (telegram.ts), and the files that arrive on it (media.ts). Loaded only
 * by a gateway that runs Telegram, so no other command pays for grammY.
 *
 * @module
 */
export { TELEGRAM_TEXT_LIMIT, TelegramChannel, type TelegramOptions } from "./telegram.ts";
export { INBOX_DIR, MAX_DOWNLOAD_BYTES, safeName, saveToWorkspace } from "./media.ts";
