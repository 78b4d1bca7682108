/**
 * WhatsApp through the official Cloud API: the channel and its webhook listener (whatsapp.ts),
 * the webhook's checks and payload (webhook.ts), and the Graph API calls (graph.ts). Loaded only
 * by a gateway that runs WhatsApp.
 *
 * @module
 */
export {
  WEBHOOK_PATH,
  WHATSAPP_TEXT_LIMIT,
  WhatsAppChannel,
  type WhatsAppOptions,
} from "./whatsapp.ts";
export {
  GraphClient,
  GraphError,
  type GraphOptions,
  MAX_MEDIA_BYTES,
  OUTSIDE_WINDOW_CODE,
  outsideWindow,
  OutsideWindowError,
} from "./graph.ts";
export {
  type Notification,
  parseNotification,
  sameSecret,
  signatureValid,
  verifyChallenge,
  type WhatsAppMessage,
  type WhatsAppStatus,
} from "./webhook.ts";
