/**
 * One HTTP(S) request to addresses already checked: node:http's `lookup` hook hands the socket
 * exactly those addresses, so the name is never resolved again (no DNS rebinding between the
 * check and the connection), while the URL keeps its host name for the Host header, TLS server
 * name and certificate check. node:http and node:https load with the first request (about 40 ms
 * and 2 MB of a start that never fetches a page).
 */
import type { IncomingMessage } from "node:http";
import type { LookupFunction } from "node:net";

/** Settings of one pinned request. */
export interface PinnedRequestOptions {
  readonly signal: AbortSignal;
  /** Root certificates (PEM) trusted instead of the defaults: for tests with a local TLS server. */
  readonly caCerts?: readonly string[];
  readonly userAgent: string;
}

interface LookupEntry {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A `lookup` for node:net that answers with the given addresses and never asks DNS. */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const all: LookupEntry[] = addresses.map((address) => ({
    address,
    family: address.includes(":") ? 6 : 4,
  }));
  const lookup = (
    _hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (error: Error | null, address: string | LookupEntry[], family?: number) => void,
  ) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    const entries = family === 0 ? all : all.filter((e) => e.family === family);
    const first = entries[0];
    if (first === undefined) {
      callback(new Error(`No checked IPv${family} address`), []);
    } else if (options.all) {
      callback(null, entries);
    } else {
      callback(null, first.address, first.family);
    }
  };
  return lookup as unknown as LookupFunction;
}

/** Sends a GET to `url`, connecting only to `addresses`; resolves with the response head. */
export async function openPinned(
  url: URL,
  addresses: readonly string[],
  options: PinnedRequestOptions,
): Promise<IncomingMessage> {
  const client = url.protocol === "https:"
    ? (await import("node:https")).default
    : (await import("node:http")).default;
  return await new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason);
    const request = client.request(url, {
      method: "GET",
      agent: false,
      lookup: pinnedLookup(addresses),
      headers: {
        "user-agent": options.userAgent,
        accept: "text/html, application/xhtml+xml, application/json, text/plain;q=0.9, */*;q=0.5",
        "accept-encoding": "gzip, deflate, br",
      },
      ...(options.caCerts ? { ca: [...options.caCerts] } : {}),
    }, (response) => {
      options.signal.removeEventListener("abort", onAbort);
      resolve(response);
    });
    const onAbort = () => request.destroy(new Error("aborted"));
    options.signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error) => {
      options.signal.removeEventListener("abort", onAbort);
      reject(new Error(`Cannot fetch ${url.href}: ${error.message}`));
    });
    request.end();
  });
}
