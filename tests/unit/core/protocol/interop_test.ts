/**
 * Cross-language checks against Python's `cryptography` (tests/golden/protocol/make_vectors.py).
 * They need python3 with cryptography >= 3.1 (`pip install cryptography`; .ci/run installs it) and
 * fail, saying so, without it: cross-language verification is part of the contract.
 */
import assert from "node:assert/strict";
import {
  CERT_DOMAIN,
  decodeBase64Url,
  encodeBase64Url,
  exportPublicKey,
  generateKeyPair,
  issueCertificate,
  signBytes,
  signedBytes,
  signRecord,
} from "../../../../core/protocol/mod.ts";
import { GOLDEN } from "./_helpers.ts";

const script = new URL("make_vectors.py", GOLDEN).pathname;

function pythonHasCryptography(): boolean {
  try {
    return new Deno.Command("python3", {
      args: ["-c", "import cryptography"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

const hasCryptography = pythonHasCryptography();

async function python(...args: string[]): Promise<Deno.CommandOutput> {
  assert.ok(
    hasCryptography,
    "python3 with the cryptography package is needed: pip install cryptography (or apt-get install python3-cryptography)",
  );
  return await new Deno.Command("python3", {
    args: [script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test({
  name: "make_vectors.py reproduces the committed signed vectors byte for byte",
  async fn() {
    const output = await python("--stdout");
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const committed = await Deno.readFile(new URL("signed/vectors.json", GOLDEN));
    assert.equal(new TextDecoder().decode(output.stdout), new TextDecoder().decode(committed));
  },
});

Deno.test({
  name: "record and certificate signatures made here verify in Python",
  async fn() {
    const owner = await generateKeyPair();
    const alice = await generateKeyPair();
    const record = { topic: "group.g1.requests", key: "t-1", value: '{"content":"grüße ✓"}' };
    const headers = await signRecord(record, { keyId: "alice", privateKey: alice.privateKey });
    const certificate = await issueCertificate({
      agent_id: "alice",
      public_key: await exportPublicKey(alice.publicKey),
      zones: ["public"],
      vouched: false,
      issuer: false,
      not_after: "2027-01-01T00:00:00Z",
      issuer_id: "owner",
    }, owner.privateKey);
    const certBytes = new Uint8Array([
      ...new TextEncoder().encode(CERT_DOMAIN),
      ...decodeBase64Url(certificate.cert) as Uint8Array,
    ]);
    const items = [
      {
        name: "record",
        public_key: await exportPublicKey(alice.publicKey),
        message_b64: encodeBase64Url(signedBytes(record)),
        signature: headers["kc-sig"],
      },
      {
        name: "certificate",
        public_key: await exportPublicKey(owner.publicKey),
        message_b64: encodeBase64Url(certBytes),
        signature: certificate.cert_sig,
      },
    ];
    const wrong = {
      ...items[0]!,
      name: "tampered",
      signature: encodeBase64Url(await signBytes(alice.privateKey, new Uint8Array([1]))),
    };
    await using dir = await tempDir();
    const good = `${dir.path}/good.json`;
    const bad = `${dir.path}/bad.json`;
    await Deno.writeTextFile(good, JSON.stringify(items));
    await Deno.writeTextFile(bad, JSON.stringify([wrong]));
    const accepted = await python("--verify", good);
    assert.ok(accepted.success, new TextDecoder().decode(accepted.stderr));
    assert.equal((await python("--verify", bad)).success, false);
  },
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-interop-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
