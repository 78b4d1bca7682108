/**
 * Signs what an agent sends in a signed group (PROTOCOL.md, Records, Headers): every record gets
 * `kc-key-id` and `kc-sig`; the agent's certificate (`kc-cert`, `kc-cert-sig`) goes along on its
 * first records after start and whenever it has reason to think a receiver lacks it
 * ({@link RecordSigner.attachNext}). In an open group records go out unsigned.
 *
 * @module
 */
import { type Signer, signRecords } from "../protocol/mod.ts";
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

  /**
   * The records with their signature headers (and certificate, while it goes along), signed
   * together.
   */
  async sign(records: readonly OutboundRecord[]): Promise<OutboundRecord[]> {
    const signer = this.#signer;
    if (signer === undefined) return [...records];
    const attachCertificate = Math.min(this.#attach, records.length);
    this.#attach -= attachCertificate;
    const headers = await signRecords(records, signer, { attachCertificate });
    return records.map((record, i) => ({
      ...record,
      headers: { ...record.headers, ...headers[i] },
    }));
  }
}
