/**
 * A certificate authority of a test's own, made with openssl: its CA certificate and a broker
 * certificate it signed for IP 127.0.0.1 and localhost, valid for a given number of days, laid
 * out as `scripts/kafka start --tls DIR` reads them (server.pem: the PKCS#8 key, then the
 * certificate; ca.pem).
 */

async function openssl(cwd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A folder with a new CA and a broker certificate valid `days` days; dispose removes it. */
export async function testCa(days: number): Promise<{ dir: string; ca: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "kshark-ca-" });
  const rsa = ["-newkey", "rsa:2048", "-nodes"];
  await openssl(dir, [
    "req",
    "-x509",
    ...rsa,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "400",
    "-subj",
    "/CN=kshark test CA",
  ]);
  await openssl(dir, [
    "req",
    "-new",
    ...rsa,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=kshark test broker",
  ]);
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    String(days),
    "-extfile",
    "ext.cnf",
    "-out",
    "server.crt",
  ]);
  const key = await Deno.readTextFile(`${dir}/server.key`);
  if (!key.startsWith("-----BEGIN PRIVATE KEY-----")) {
    throw new Error("openssl did not write a PKCS#8 key");
  }
  await Deno.writeTextFile(`${dir}/server.pem`, key + await Deno.readTextFile(`${dir}/server.crt`));
  return {
    dir,
    ca: `${dir}/ca.pem`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
