/**
 * The agent's only way to the network: a GET that resolves the host name first, refuses anything
 * but public addresses (every address the name resolves to), connects to exactly the addresses it
 * checked (pinned through node:http's `lookup`, so TLS still verifies and sends the host name),
 * and follows redirects by hand, checking every hop the same way. Bounded in size and time.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { classifyAddress, isIpAddress } from "./address.ts";
import type { AddressClass } from "./address.ts";
import { openPinned } from "./_pinned.ts";
import { readCapped } from "./_body.ts";
import { VERSION } from "../../version.ts";

/** Resolves a host name to IP addresses (A and AAAA). */
export type Resolver = (hostname: string, signal: AbortSignal) => Promise<string[]>;

/** Options of {@link pinnedFetch}: `tools.web` of the config, plus test seams. */
export interface PinnedFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  /** Cancels the fetch (the turn was cancelled). */
  readonly signal?: AbortSignal;
  /** Name resolution; default: DNS A and AAAA through Deno.resolveDns. */
  readonly resolve?: Resolver;
  /** Address policy; default {@link classifyAddress}. Only `public` is fetched from. */
  readonly classify?: (address: string) => AddressClass;
  /** Extra trusted root certificates (PEM), for tests with a local TLS server. */
  readonly caCerts?: readonly string[];
  readonly userAgent?: string;
}

/** A fetched response. */
export interface FetchedPage {
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  /** The decoded body, at most `maxBytes`. */
  readonly body: Uint8Array;
  /** The body was longer than `maxBytes` and was cut. */
  readonly truncated: boolean;
  /** Every URL fetched before the final one. */
  readonly redirects: readonly string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The default resolver: A and AAAA records through Deno.resolveDns (the hosts file is not read). */
export const dnsResolver: Resolver = async (hostname, signal) => {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(hostname, "A", { signal }),
    Deno.resolveDns(hostname, "AAAA", { signal }),
  ]);
  const found = [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
  if (found.length === 0 && a.status === "rejected") throw a.reason;
  return found;
};

/** Checks a URL for fetching: its scheme, then every address of its host; returns the addresses. */
async function vet(url: URL, options: PinnedFetchOptions, signal: AbortSignal): Promise<string[]> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`Refused ${url.href}: web_fetch fetches only http and https URLs`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new Error(`Refused ${url.origin}: URLs with credentials are not fetched`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIpAddress(host)) {
    addresses = [host];
  } else {
    try {
      addresses = [...new Set(await (options.resolve ?? dnsResolver)(host, signal))];
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error(`Cannot resolve ${host}: ${error instanceof Error ? error.message : error}`);
    }
    if (addresses.length === 0) throw new Error(`Cannot resolve ${host}: no addresses`);
  }
  const classify = options.classify ?? classifyAddress;
  for (const address of addresses) {
    const cls = classify(address);
    if (cls !== "public") {
      throw new Error(
        `Refused ${url.href}: ${host} resolves to ${address}, a ${cls} address; web_fetch ` +
          `reaches only public internet addresses`,
      );
    }
  }
  return addresses;
}

function abortReason(options: PinnedFetchOptions, url: string): Error {
  if (options.signal?.aborted) return new Error(`The fetch of ${url} was cancelled`);
  return new Error(`Timed out after ${options.timeoutMs} ms fetching ${url}`);
}

/**
 * Fetches a public http(s) URL with pinned addresses and checked redirects. Throws an Error whose
 * message is meant for the model (refusals, resolution failures, time-outs, network errors).
 */
export async function pinnedFetch(
  target: string,
  options: PinnedFetchOptions,
): Promise<FetchedPage> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`Cannot parse ${JSON.stringify(target)} as a URL`);
  }
  const redirects: string[] = [];
  for (;;) {
    let response: IncomingMessage;
    try {
      const addresses = await vet(url, options, signal);
      response = await openPinned(url, addresses, {
        signal,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
        userAgent: options.userAgent ?? `KafClaw/${VERSION} (web_fetch)`,
      });
    } catch (error) {
      if (signal.aborted) throw abortReason(options, url.href);
      throw error;
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECTS.has(status) && location !== undefined) {
      response.destroy();
      if (redirects.length >= options.maxRedirects) {
        throw new Error(
          `Too many redirects: ${target} redirected more than ${options.maxRedirects} times`,
        );
      }
      redirects.push(url.href);
      try {
        url = new URL(location, url);
      } catch {
        throw new Error(`Cannot follow the redirect of ${url.href} to ${JSON.stringify(location)}`);
      }
      continue;
    }
    try {
      const { body, truncated } = await readCapped(response, options.maxBytes, signal);
      return {
        url: url.href,
        status,
        statusText: response.statusMessage ?? "",
        contentType: String(response.headers["content-type"] ?? ""),
        body,
        truncated,
        redirects,
      };
    } catch (error) {
      if (signal.aborted) throw abortReason(options, url.href);
      throw error;
    }
  }
}
