/**
 * Signs what an agent sends in a signed group (PROTOCOL.md, Records, Headers): every record gets
 * `kc-key-id` and `kc-sig`; the agent's certificate (`kc-cert`, `kc-cert-sig`) goes along on its
 * first records after start and whenever it has reason to think a receiver lacks it
 * ({@link RecordSigner.attachNext}). In an open group records go out unsigned.
 *
 * @module
 */
import { type Signer, signRecord } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";

/** How many records after start carry the certificate. */
export const ATTACH_FIRST = 8;

/** Signs outbound records; see the module documentation. */
export class RecordSigner {
  readonly #signer: Signer | undefined;
  #attach: number;

  /** Without a signer (open mode), records pass unchanged. */
  constructor(signer: Signer | undefined, options: { readonly attachFirst?: number } = {}) {
    this.#signer = signer;
    this.#attach = signer?.certificate === undefined ? 0 : options.attachFirst ?? ATTACH_FIRST;
  }

  /** Sends the certificate along on the next `count` records. */
  attachNext(count = 1): void {
    if (this.#signer?.certificate !== undefined) this.#attach = Math.max(this.#attach, count);
  }

  /** The records with their signature headers (and certificate, while it goes along). */
  async sign(records: readonly OutboundRecord[]): Promise<OutboundRecord[]> {
    const signer = this.#signer;
    if (signer === undefined) return [...records];
    const out: OutboundRecord[] = [];
    for (const record of records) {
      const attachCertificate = this.#attach > 0;
      if (attachCertificate) this.#attach--;
      const headers = await signRecord(record, signer, { attachCertificate });
      out.push({ ...record, headers: { ...record.headers, ...headers } });
    }
    return out;
  }
}
