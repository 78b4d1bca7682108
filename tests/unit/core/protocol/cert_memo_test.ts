/**
 * What a certificate check remembers between records: bounded memos that forget their oldest
 * entry, a key that failed to import tried again rather than remembered as a failure, and an
 * issuer's signature remembered only when it holds.
 */
import assert from "node:assert/strict";
import {
  BoundedMap,
  certificateKey,
  issuerSignatureHolds,
  type ReadCertificate,
} from "../../../../core/protocol/cert_memo.ts";
import {
  exportPublicKey,
  generateKeyPair,
  signBytes,
  verifyCertificate,
} from "../../../../core/protocol/mod.ts";
import { memberCertificate } from "../../../_support/certificates.ts";

Deno.test("a bounded memo forgets its oldest entry at its limit, and a key set again counts as new", () => {
  const memo = new BoundedMap<string, number>(2);
  memo.set("a", 1);
  memo.set("b", 2);
  memo.set("a", 3);
  memo.set("c", 4);
  assert.equal(memo.get("b"), undefined, "b was the oldest once a was set again");
  assert.equal(memo.get("a"), 3);
  assert.equal(memo.get("c"), 4);
  memo.set("d", 5);
  assert.equal(memo.get("a"), undefined);
  assert.deepEqual([memo.get("c"), memo.get("d")], [4, 5]);
});

Deno.test("a certificate key that does not import is tried again next time, and a good one is imported once", async () => {
  const read: ReadCertificate<null> = {
    certificate: null,
    bytes: new Uint8Array(),
    signature: new Uint8Array(),
    notAfter: 0,
  };
  await assert.rejects(certificateKey(read, "not-a-key"));
  assert.equal(read.key, undefined, "the failure is not remembered");
  const good = await exportPublicKey((await generateKeyPair()).publicKey);
  const key = await certificateKey(read, good);
  assert.equal(await exportPublicKey(key), good);
  assert.equal(await certificateKey(read, good), key, "imported once");
});

Deno.test("an issuer's signature is remembered when it holds; a forgery is checked every time", async () => {
  const issuer = await generateKeyPair();
  const other = await generateKeyPair();
  const bytes = new TextEncoder().encode("kafclaw-cert/1\n{}");
  const good = await signBytes(issuer.privateKey, bytes);
  const forged = await signBytes(other.privateKey, bytes);
  let read = 0;
  const signed = () => {
    read++;
    return bytes;
  };
  assert.equal(await issuerSignatureHolds(issuer.publicKey, "forged", forged, signed), false);
  assert.equal(await issuerSignatureHolds(issuer.publicKey, "forged", forged, signed), false);
  assert.equal(read, 2, "a forgery is verified again");
  assert.equal(await issuerSignatureHolds(issuer.publicKey, "good", good, signed), true);
  assert.equal(await issuerSignatureHolds(issuer.publicKey, "good", good, signed), true);
  assert.equal(read, 3, "a good signature is verified once");
  // Remembered per issuer key: the same bundle under another issuer is verified on its own.
  assert.equal(await issuerSignatureHolds(other.publicKey, "good", good, signed), false);
});

Deno.test("a certificate bundle changed after it was read is read again, not found by its object", async () => {
  const owner = await generateKeyPair();
  const issue = async (agentId: string) =>
    await memberCertificate(
      owner.privateKey,
      agentId,
      (await generateKeyPair()).publicKey,
      "2027-01-01T00:00:00Z",
    );
  const trust = { ownerKey: owner.publicKey, now: Date.UTC(2026, 0, 15) };
  const bundle = await issue("alice");
  const agentOf = async () => {
    const checked = await verifyCertificate(bundle, trust);
    return checked.ok ? checked.verified.certificate.agent_id : checked.error.code;
  };
  assert.equal(await agentOf(), "alice");
  assert.equal(await agentOf(), "alice", "found by its object");
  const bob = await issue("bob");
  bundle.cert = bob.cert;
  bundle.cert_sig = bob.cert_sig;
  assert.equal(await agentOf(), "bob");
  bundle.cert_sig = (await issue("bob")).cert_sig;
  assert.equal(await agentOf(), "untrusted_certificate", "the other signature is not bob's");
});
