import assert from "node:assert/strict";
import {
  type Certificate,
  type CertificateBundle,
  decodeCertificate,
  encodeBase64Url,
  exportPublicKey,
  generateKeyPair,
  issueCertificate,
  sha256Hex,
  type TrustOptions,
  verifyCertificate,
} from "../../../../core/protocol/mod.ts";
import { NOW } from "./_helpers.ts";

const owner = await generateKeyPair();
const orch = await generateKeyPair();
const alice = await generateKeyPair();

async function cert(
  changes: Partial<Certificate> = {},
  issuerKey = owner.privateKey,
): Promise<CertificateBundle> {
  return await issueCertificate({
    agent_id: "alice",
    public_key: await exportPublicKey(alice.publicKey),
    zones: ["public"],
    vouched: false,
    issuer: false,
    not_after: "2027-01-01T00:00:00Z",
    issuer_id: "owner",
    ...changes,
  }, issuerKey);
}

const orchCert = await cert({
  agent_id: "orch",
  public_key: await exportPublicKey(orch.publicKey),
  zones: ["public", "lab"],
  vouched: true,
  issuer: true,
});

// An issuer certificate for another agent than the one a certificate names as its issuer.
const orchCert2 = await cert({
  agent_id: "orch2",
  public_key: await exportPublicKey(orch.publicKey),
  zones: ["public", "lab"],
  issuer: true,
});

function options(changes: Partial<TrustOptions> = {}): TrustOptions {
  return {
    ownerKey: owner.publicKey,
    now: NOW,
    lookupCertificate: (id) => id === "orch" ? orchCert : undefined,
    ...changes,
  };
}

async function refusal(bundle: CertificateBundle, changes: Partial<TrustOptions> = {}) {
  const result = await verifyCertificate(bundle, options(changes));
  assert.ok(!result.ok, "trusted");
  return result.error;
}

Deno.test("a certificate from the owner is trusted, with its key and id", async () => {
  const bundle = await cert({ vouched: true });
  const result = await verifyCertificate(bundle, options());
  assert.ok(result.ok);
  assert.equal(result.verified.certificate.agent_id, "alice");
  assert.equal(result.verified.certificate.vouched, true);
  assert.equal(
    await exportPublicKey(result.verified.publicKey),
    await exportPublicKey(alice.publicKey),
  );
  const decoded = decodeCertificate(bundle);
  assert.ok(decoded.ok);
  assert.equal(result.verified.id, await sha256Hex(decoded.bytes));
  assert.equal(result.verified.issuer, undefined);
});

Deno.test("a certificate from an owner-made issuer is trusted, and names its issuer", async () => {
  const result = await verifyCertificate(
    await cert({ issuer_id: "orch", zones: ["lab"] }, orch.privateKey),
    options(),
  );
  assert.ok(result.ok);
  assert.equal(result.verified.issuer?.certificate.agent_id, "orch");
});

Deno.test("an issuer cannot hand out more than it holds", async () => {
  const cases: Array<[Partial<Certificate>, RegExp]> = [
    [{ issuer: true }, /makes an issuer, which only the owner may do/],
    [{ zones: ["lab", "secret"] }, /names zone "secret", which its issuer does not have/],
    [{ not_after: "2028-01-01T00:00:00Z" }, /outlives its issuer's certificate/],
  ];
  for (const [changes, message] of cases) {
    const error = await refusal(await cert({ issuer_id: "orch", ...changes }, orch.privateKey));
    assert.equal(error.code, "untrusted_certificate");
    assert.match(error.message, message);
  }
  const unvouched = await cert({
    agent_id: "orch",
    public_key: await exportPublicKey(orch.publicKey),
    issuer: true,
  });
  const error = await refusal(await cert({ issuer_id: "orch", vouched: true }, orch.privateKey), {
    lookupCertificate: () => unvouched,
  });
  assert.match(error.message, /is vouched by an issuer that is not/);
});

Deno.test("only an owner-made issuer certificate makes an issuer", async () => {
  const notIssuer = await cert({
    agent_id: "orch",
    public_key: await exportPublicKey(orch.publicKey),
  });
  const plain = await refusal(await cert({ issuer_id: "orch" }, orch.privateKey), {
    lookupCertificate: () => notIssuer,
  });
  assert.match(plain.message, /comes from "orch", which is not an issuer/);
  const wrongAgent = await refusal(await cert({ issuer_id: "orch" }, orch.privateKey), {
    lookupCertificate: () => orchCert2,
  });
  assert.match(wrongAgent.message, /comes with an issuer certificate for "orch2"/);
  // An issuer's own certificate must come from the owner: chains are at most two links long.
  const subIssuer = await cert(
    { agent_id: "sub", issuer: true, issuer_id: "orch" },
    orch.privateKey,
  );
  const deep = await refusal(await cert({ issuer_id: "sub" }, alice.privateKey), {
    lookupCertificate: (id) => id === "sub" ? subIssuer : orchCert,
  });
  assert.equal(deep.code, "untrusted_certificate");
  assert.match(deep.message, /"sub" is an issuer's, and does not come from the owner/);
});

Deno.test("an issuer whose certificate has not arrived is an unknown signer", async () => {
  const bundle = await cert({ issuer_id: "orch" }, orch.privateKey);
  assert.equal(
    (await refusal(bundle, { lookupCertificate: () => undefined })).code,
    "unknown_signer",
  );
  const { lookupCertificate: _, ...noLookup } = options();
  const result = await verifyCertificate(bundle, noLookup);
  assert.ok(!result.ok && result.error.code === "unknown_signer");
});

Deno.test("a certificate signed by anyone but its issuer is untrusted", async () => {
  const error = await refusal(await cert({}, alice.privateKey));
  assert.equal(error.code, "untrusted_certificate");
  assert.equal(
    error.message,
    'Cannot verify certificate: the certificate of "alice" does not verify with the key of "owner"',
  );
});

Deno.test("expired and revoked certificates are refused, and so are those of a revoked issuer", async () => {
  const expired = await refusal(await cert({ not_after: "2026-01-15T09:59:59Z" }));
  assert.equal(expired.code, "certificate_expired");
  assert.match(expired.message, /expired at 2026-01-15T09:59:59Z/);
  assert.equal(
    (await verifyCertificate(await cert({ not_after: "2026-01-15T10:00:00Z" }), options())).ok,
    true,
  );
  const bundle = await cert();
  assert.equal(
    (await refusal(bundle, { revoked: new Set(["alice"]) })).code,
    "certificate_revoked",
  );
  const decoded = decodeCertificate(bundle);
  assert.ok(decoded.ok);
  const id = await sha256Hex(decoded.bytes);
  assert.equal((await refusal(bundle, { revoked: new Set([id]) })).code, "certificate_revoked");
  const viaIssuer = await cert({ issuer_id: "orch" }, orch.privateKey);
  assert.equal(
    (await refusal(viaIssuer, { revoked: new Set(["orch"]) })).code,
    "certificate_revoked",
  );
});

Deno.test("a certificate for a reserved id is refused", async () => {
  const error = await refusal(await cert({ agent_id: "owner" }));
  assert.equal(error.code, "bad_certificate");
});

Deno.test("decodeCertificate refuses what is not a certificate", async () => {
  const good = await cert();
  const json = (text: string) => ({
    cert: encodeBase64Url(new TextEncoder().encode(text)),
    cert_sig: good.cert_sig,
  });
  const cases: Array<[CertificateBundle, RegExp]> = [
    [{ cert: "not base64!", cert_sig: good.cert_sig }, /is not base64url/],
    [{ cert: good.cert, cert_sig: "AQID" }, /signature is not 64 bytes/],
    [{ cert: good.cert, cert_sig: "***" }, /signature is not 64 bytes/],
    [json('{"agent_id":"a","agent_id":"b"}'), /poison: "agent_id" appears twice/],
    [json("[]"), /in the certificate, the value must be an object/],
    [json('{"agent_id":"alice"}'), /in the certificate, "public_key" is missing/],
  ];
  for (const [bundle, message] of cases) {
    const result = decodeCertificate(bundle);
    assert.ok(!result.ok);
    assert.equal(result.error.code, "bad_certificate");
    assert.match(result.error.message, message);
    assert.equal((await verifyCertificate(bundle, options())).ok, false);
  }
});

Deno.test("a certificate checked before is still refused once it expires or is revoked", async () => {
  const viaIssuer = await cert(
    { issuer_id: "orch", not_after: "2026-06-01T00:00:00Z" },
    orch.privateKey,
  );
  // Checked (and remembered) first, then judged again on a later clock and a changed roster.
  assert.equal((await verifyCertificate(viaIssuer, options())).ok, true);
  const later = Date.parse("2026-06-01T00:00:01Z");
  assert.equal((await refusal(viaIssuer, { now: later })).code, "certificate_expired");
  assert.equal(
    (await refusal(viaIssuer, { revoked: new Set(["alice"]) })).code,
    "certificate_revoked",
  );
  assert.equal(
    (await refusal(viaIssuer, { revoked: new Set(["orch"]) })).code,
    "certificate_revoked",
  );
  assert.equal((await verifyCertificate(viaIssuer, options())).ok, true);
});

Deno.test("a certificate verified before is not read again to decode it", async () => {
  const bundle = await cert({ zones: ["public", "lab"] });
  const result = await verifyCertificate(bundle, options());
  assert.ok(result.ok);
  const decoded = decodeCertificate(bundle);
  assert.ok(decoded.ok);
  // The very certificate read to verify it, not a second reading of the same bytes.
  assert.equal(decoded.certificate, result.verified.certificate);
  assert.deepEqual(decoded.certificate.zones, ["public", "lab"]);
  const again = decodeCertificate(bundle);
  assert.ok(again.ok);
  assert.equal(again.certificate, decoded.certificate);
});

Deno.test("a certificate trusted under one owner key is not trusted under another", async () => {
  const bundle = await cert();
  assert.equal((await verifyCertificate(bundle, options())).ok, true);
  const stranger = await generateKeyPair();
  const error = await refusal(bundle, { ownerKey: stranger.publicKey });
  assert.equal(error.code, "untrusted_certificate");
});

Deno.test("a trusted certificate's bytes under another signature are not trusted", async () => {
  const bundle = await cert();
  assert.equal((await verifyCertificate(bundle, options())).ok, true);
  const other = await cert({}, alice.privateKey);
  assert.equal(other.cert, bundle.cert);
  assert.equal((await refusal(other)).code, "untrusted_certificate");
  const flipped = bundle.cert_sig.startsWith("A")
    ? `B${bundle.cert_sig.slice(1)}`
    : `A${bundle.cert_sig.slice(1)}`;
  assert.equal(
    (await refusal({ cert: bundle.cert, cert_sig: flipped })).code,
    "untrusted_certificate",
  );
});
