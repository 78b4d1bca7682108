/**
 * web_fetch: the agent's only network access, with an address policy (public addresses only),
 * pinned connections and checked redirects.
 *
 * @module
 */
export {
  type AddressClass,
  classifyAddress,
  isIpAddress,
  isV4Mapped,
  parseIpv4,
  parseIpv6,
} from "./address.ts";
export { type PageText, pageText } from "./content.ts";
export {
  dnsResolver,
  type FetchedPage,
  pinnedFetch,
  type PinnedFetchOptions,
  type Resolver,
} from "./fetch.ts";
export { decodeEntities, type HtmlText, htmlToText } from "./html_text.ts";
export { UNTRUSTED_NOTE, webFetchTool, type WebFetchToolOptions } from "./tool.ts";
