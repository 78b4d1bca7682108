/**
 * npm:openai clients, one per endpoint, built with nothing taken from the environment (the
 * configuration already read it): no retries of their own, no organisation or project headers
 * leaking to other providers, no Authorization header for endpoints that need no key.
 *
 * npm:openai itself is imported by the first call to a model, not when a provider is built: a
 * command that only reads memory's status or the configured models never loads it.
 *
 * @module
 */
import type OpenAI from "openai";
import type { ModelEndpoint } from "./models.ts";

/** The npm:openai module. */
export type OpenAISdk = typeof import("openai");

let sdk: OpenAISdk | undefined;

/** npm:openai, imported once, by the first call that needs it. */
export async function openaiSdk(): Promise<OpenAISdk> {
  sdk ??= await import("openai");
  return sdk;
}

/**
 * npm:openai if a call has imported it, else undefined: until then no error of its classes can
 * have been thrown here, since only the clients built below throw them.
 */
export function loadedSdk(): OpenAISdk | undefined {
  return sdk;
}

/** Builds and keeps one client per provider and base URL. */
export class ClientCache {
  readonly #clients = new Map<string, OpenAI>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** The client of an endpoint (the first one imports npm:openai). */
  async get(endpoint: ModelEndpoint): Promise<OpenAI> {
    const { default: Client } = await openaiSdk();
    const id = `${endpoint.provider} ${endpoint.baseUrl}`;
    let client = this.#clients.get(id);
    if (!client) {
      client = createClient(Client, endpoint, this.#timeoutMs);
      this.#clients.set(id, client);
    }
    return client;
  }
}

/** A client for one endpoint. */
function createClient(
  Client: OpenAISdk["default"],
  endpoint: ModelEndpoint,
  timeoutMs: number,
): OpenAI {
  const keyless = endpoint.apiKey === null;
  return new Client({
    // npm:openai insists on a credential; a keyless endpoint gets none on the wire (below).
    apiKey: endpoint.apiKey ?? "no-key",
    baseURL: endpoint.baseUrl,
    maxRetries: 0,
    timeout: timeoutMs,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    logLevel: "off",
    ...(keyless ? { defaultHeaders: { Authorization: null } } : {}),
  });
}
