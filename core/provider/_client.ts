/**
 * npm:openai clients, one per endpoint, built with nothing taken from the environment (the
 * configuration already read it): no retries of their own, no organisation or project headers
 * leaking to other providers, no Authorization header for endpoints that need no key.
 *
 * @module
 */
import OpenAI from "openai";
import type { ModelEndpoint } from "./models.ts";

/** Builds and keeps one client per provider and base URL. */
export class ClientCache {
  readonly #clients = new Map<string, OpenAI>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** The client of an endpoint. */
  get(endpoint: ModelEndpoint): OpenAI {
    const id = `${endpoint.provider} ${endpoint.baseUrl}`;
    let client = this.#clients.get(id);
    if (!client) {
      client = createClient(endpoint, this.#timeoutMs);
      this.#clients.set(id, client);
    }
    return client;
  }
}

/** A client for one endpoint. */
export function createClient(endpoint: ModelEndpoint, timeoutMs: number): OpenAI {
  const keyless = endpoint.apiKey === null;
  return new OpenAI({
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
