/** The identity folder: keys and the certificate, 0600 in a 0700 folder, and what is not them. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  agentKey,
  createOwnerKey,
  IDENTITY_FILES,
  ownerKey,
  readCertificate,
  writeCertificate,
} from "../../../../core/group/mod.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-identity-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("the agent key is made once and read back the same", async () => {
  await using dir = await tempDir();
  const identity = join(dir.path, "identity");
  const first = await agentKey(identity);
  const again = await agentKey(identity);
  assert.equal(again.publicKeyText, first.publicKeyText);
  assert.equal((await Deno.stat(join(identity, IDENTITY_FILES.agentKey))).mode! & 0o777, 0o600);
  assert.equal(await ownerKey(identity), undefined);
  const owner = await createOwnerKey(identity);
  assert.equal((await ownerKey(identity))?.publicKeyText, owner.publicKeyText);
});

Deno.test("a key file that is no key, or cannot be read, says so", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(join(dir.path, IDENTITY_FILES.agentKey), new Uint8Array([1, 2, 3]));
  await assert.rejects(
    () => agentKey(dir.path),
    /^Error: Cannot read key .*agent\.key: it is not an Ed25519 PKCS #8 private key$/,
  );
  await Deno.mkdir(join(dir.path, IDENTITY_FILES.ownerKey));
  await assert.rejects(() => ownerKey(dir.path), Deno.errors.IsADirectory);
  // A folder that is a file: nothing under it can exist, and that is not "missing".
  const file = join(dir.path, "plain");
  await Deno.writeTextFile(file, "");
  await assert.rejects(() => ownerKey(join(file, "identity")), Deno.errors.NotADirectory);
});

Deno.test("the certificate is written 0600, replaced whole, and read back; a bad file is refused", async () => {
  await using dir = await tempDir();
  assert.equal(await readCertificate(dir.path), undefined);
  await writeCertificate(dir.path, { cert: "YQ", cert_sig: "Yg" });
  await writeCertificate(dir.path, { cert: "Yw", cert_sig: "ZA" });
  assert.deepEqual(await readCertificate(dir.path), { cert: "Yw", cert_sig: "ZA" });
  const path = join(dir.path, IDENTITY_FILES.certificate);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  for (const text of ["not json", '{"cert": 1}']) {
    await Deno.writeTextFile(path, text);
    await assert.rejects(
      () => readCertificate(dir.path),
      /Cannot read certificate .*agent\.cert\.json: it is not \{"cert", "cert_sig"\} JSON/,
    );
  }
  await Deno.remove(path);
  await Deno.mkdir(path);
  await assert.rejects(() => readCertificate(dir.path), Deno.errors.IsADirectory);
});
