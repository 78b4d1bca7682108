/** Local HTTP servers and fake resolvers for web_fetch tests (127.0.0.1, port 0). */
import { type AddressClass, classifyAddress } from "../../../../../core/tools/web/address.ts";

/** A local server that counts its requests and records their Host headers. */
export interface LocalServer extends AsyncDisposable {
  readonly port: number;
  readonly hosts: string[];
}

/** Serves `handler` on `hostname` (default 127.0.0.1), port 0; closed at the end of its scope. */
export function localServer(
  handler: (request: Request) => Response | Promise<Response>,
  options: { hostname?: string; cert?: string; key?: string } = {},
): LocalServer {
  const hosts: string[] = [];
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: 0,
    onListen() {},
    ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
  }, (request) => {
    hosts.push(request.headers.get("host") ?? "");
    return handler(request);
  });
  return {
    port: server.addr.port,
    hosts,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A resolver answering from a table (each name: a list of answers, one per call, the last repeating). */
export function tableResolver(table: Record<string, readonly string[][]>) {
  const calls: string[] = [];
  const resolve = (hostname: string) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) return Promise.reject(new Error("NXDOMAIN"));
    const seen = calls.filter((c) => c === hostname).length;
    return Promise.resolve([...(answers[Math.min(seen, answers.length) - 1] ?? [])]);
  };
  return { calls, resolve };
}

/**
 * The test-only address policy: 127.0.0.1 stands in for a public address (the local server);
 * everything else is judged as in production, so 127.0.0.2, 10/8 and the rest stay refused.
 */
export function testClassify(address: string): AddressClass {
  return address === "127.0.0.1" ? "public" : classifyAddress(address);
}

/** A self-signed certificate for `example.test` made with openssl, or undefined without it. */
export async function selfSigned(): Promise<{ cert: string; key: string } | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-tls-" });
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
        "-subj",
        "/CN=example.test",
        "-addext",
        "subjectAltName=DNS:example.test",
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } catch {
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
