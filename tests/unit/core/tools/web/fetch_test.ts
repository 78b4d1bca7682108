import assert from "node:assert/strict";
import { pinnedFetch, type PinnedFetchOptions } from "../../../../../core/tools/web/fetch.ts";
import { pinnedLookup } from "../../../../../core/tools/web/_pinned.ts";
import { localServer, selfSigned, tableResolver, testClassify } from "./_servers.ts";

const LIMITS = { timeoutMs: 5000, maxBytes: 65536, maxRedirects: 5 } as const;
const text = (page: { body: Uint8Array }) => new TextDecoder().decode(page.body);

function options(resolve: PinnedFetchOptions["resolve"], extra: Partial<PinnedFetchOptions> = {}) {
  return { ...LIMITS, classify: testClassify, ...(resolve ? { resolve } : {}), ...extra };
}

Deno.test("web_fetch refuses a loopback server with the production address policy", async () => {
  await using server = localServer(() => new Response("secret"));
  await assert.rejects(
    pinnedFetch(`http://127.0.0.1:${server.port}/`, LIMITS),
    /Refused http:\/\/127\.0\.0\.1:\d+\/: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/,
  );
  const { resolve } = tableResolver({ "localhost.test": [["127.0.0.1"]] });
  await assert.rejects(
    pinnedFetch(`http://localhost.test:${server.port}/`, { ...LIMITS, resolve }),
    /localhost\.test resolves to 127\.0\.0\.1, a loopback address; web_fetch reaches only public/,
  );
  await assert.rejects(pinnedFetch(`http://[::1]:${server.port}/`, LIMITS), /a loopback address/);
  await assert.rejects(
    pinnedFetch(`http://[::ffff:127.0.0.1]:${server.port}/`, LIMITS),
    /a loopback address/,
  );
  assert.equal(server.hosts.length, 0, "the server was never reached");
});

Deno.test("web_fetch connects to the address it checked, never resolving the name again", async () => {
  await using server = localServer((req) => new Response(`path ${new URL(req.url).pathname}`));
  const { calls, resolve } = tableResolver({ "example.test": [["127.0.0.1"]] });
  const page = await pinnedFetch(`http://example.test:${server.port}/a`, options(resolve));
  assert.equal(page.status, 200);
  assert.equal(text(page), "path /a");
  assert.equal(page.url, `http://example.test:${server.port}/a`);
  // The name stays in the request (Host header), the socket went to the pinned address:
  // example.test does not exist in DNS, so only the pin can have connected it.
  assert.deepEqual(server.hosts, [`example.test:${server.port}`]);
  assert.deepEqual(calls, ["example.test"]);
});

Deno.test("DNS rebinding: the second answer is never connected to", async () => {
  await using good = localServer(() => new Response("first answer"));
  await using evil = localServer(() => new Response("rebound"), { hostname: "127.0.0.2" });
  const { calls, resolve } = tableResolver({ "rebind.test": [["127.0.0.1"], ["127.0.0.2"]] });
  const page = await pinnedFetch(`http://rebind.test:${good.port}/`, options(resolve));
  assert.equal(text(page), "first answer");
  assert.equal(evil.hosts.length, 0);
  assert.deepEqual(calls, ["rebind.test"]);
  // A later fetch sees the new answer and refuses it before connecting.
  await assert.rejects(
    pinnedFetch(`http://rebind.test:${evil.port}/`, options(resolve)),
    /rebind\.test resolves to 127\.0\.0\.2, a loopback address/,
  );
  assert.equal(evil.hosts.length, 0);
});

Deno.test("web_fetch checks every resolved address, not only the first", async () => {
  await using server = localServer(() => new Response("x"));
  for (
    const bad of ["10.0.0.1", "169.254.169.254", "fd00::1", "::ffff:192.168.0.1", "100.64.0.1"]
  ) {
    const { resolve } = tableResolver({ "mixed.test": [["127.0.0.1", bad]] });
    await assert.rejects(
      pinnedFetch(`http://mixed.test:${server.port}/`, options(resolve)),
      new RegExp(`mixed\\.test resolves to ${bad.replaceAll(".", "\\.")}, a `),
    );
  }
  assert.equal(server.hosts.length, 0);
});

Deno.test("pinnedLookup answers only with the checked addresses, whatever the name", () => {
  const lookup = pinnedLookup(["127.0.0.1", "2001:db8::1"]) as unknown as (
    h: string,
    o: { all?: boolean; family?: number },
    cb: (e: Error | null, a: unknown, f?: number) => void,
  ) => void;
  const answers: unknown[] = [];
  lookup("anything.example", { all: true }, (_e, a) => answers.push(a));
  lookup("anything.example", {}, (_e, a, f) => answers.push([a, f]));
  lookup("anything.example", { family: 6 }, (_e, a, f) => answers.push([a, f]));
  assert.deepEqual(answers, [
    [{ address: "127.0.0.1", family: 4 }, { address: "2001:db8::1", family: 6 }],
    ["127.0.0.1", 4],
    ["2001:db8::1", 6],
  ]);
});

Deno.test("redirects are followed by hand and each hop is checked", async () => {
  await using server = localServer((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/a") return Response.redirect(`http://example.test:${port}/b`, 301);
    if (path === "/b") return new Response(null, { status: 307, headers: { location: "/c" } });
    return new Response("final");
  });
  const port = server.port;
  const { resolve } = tableResolver({ "example.test": [["127.0.0.1"]] });
  const page = await pinnedFetch(`http://example.test:${port}/a`, options(resolve));
  assert.equal(text(page), "final");
  assert.equal(page.url, `http://example.test:${port}/c`);
  assert.deepEqual(page.redirects, [
    `http://example.test:${port}/a`,
    `http://example.test:${port}/b`,
  ]);
});

Deno.test("a redirect to a private address is refused at that hop", async () => {
  await using server = localServer((req) => {
    const to = new URL(req.url).searchParams.get("to") ?? "";
    return new Response(null, { status: 302, headers: { location: to } });
  });
  const { resolve } = tableResolver({
    "example.test": [["127.0.0.1"]],
    "internal.test": [["10.1.2.3"]],
  });
  const start = (to: string) =>
    pinnedFetch(
      `http://example.test:${server.port}/?to=${encodeURIComponent(to)}`,
      options(resolve),
    );
  await assert.rejects(
    start("http://internal.test/admin"),
    /Refused http:\/\/internal\.test\/admin: internal\.test resolves to 10\.1\.2\.3, a private address/,
  );
  await assert.rejects(start("http://169.254.169.254/latest/meta-data/"), /a link-local address/);
  await assert.rejects(start(`http://127.0.0.2:${server.port}/`), /a loopback address/);
  await assert.rejects(
    start("file:///etc/passwd"),
    /Refused file:\/\/\/etc\/passwd: web_fetch fetches only http and https URLs/,
  );
  assert.equal(server.hosts.length, 4, "only the first hop of each fetch reached the server");
});

Deno.test("more redirects than allowed is an error", async () => {
  await using server = localServer(() =>
    new Response(null, { status: 302, headers: { location: "/again" } })
  );
  const { resolve } = tableResolver({ "loop.test": [["127.0.0.1"]] });
  await assert.rejects(
    pinnedFetch(`http://loop.test:${server.port}/`, options(resolve, { maxRedirects: 2 })),
    /Too many redirects: .* redirected more than 2 times/,
  );
  assert.equal(server.hosts.length, 3);
});

Deno.test("the body is cut at maxBytes", async () => {
  await using server = localServer(() =>
    new Response("x".repeat(100_000), { headers: { "content-type": "application/octet-stream" } })
  );
  const page = await pinnedFetch(
    `http://127.0.0.1:${server.port}/`,
    options(undefined, { maxBytes: 1024 }),
  );
  assert.equal(page.body.length, 1024);
  assert.equal(page.truncated, true);
});

Deno.test("a gzip-encoded body is decoded, and the cut applies to the decoded bytes", async () => {
  const zipped = await new Response(
    new Blob(["hello ".repeat(1000)]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  await using server = localServer(() =>
    new Response(zipped, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } })
  );
  const url = `http://127.0.0.1:${server.port}/`;
  const page = await pinnedFetch(url, options(undefined));
  assert.equal(text(page), "hello ".repeat(1000));
  const cut = await pinnedFetch(url, options(undefined, { maxBytes: 2048 }));
  assert.equal(cut.body.length, 2048);
  assert.equal(cut.truncated, true);
});

Deno.test("a server that does not answer in time is abandoned", async () => {
  const { promise: release, resolve: unblock } = Promise.withResolvers<void>();
  await using server = localServer(async () => {
    await release;
    return new Response("late");
  });
  try {
    const started = Date.now();
    await assert.rejects(
      pinnedFetch(`http://127.0.0.1:${server.port}/`, options(undefined, { timeoutMs: 300 })),
      /Timed out after 300 ms fetching http:\/\/127\.0\.0\.1:\d+\//,
    );
    assert.ok(Date.now() - started < 3000);
  } finally {
    unblock();
  }
});

Deno.test("a body that trickles past the time limit is abandoned too", async () => {
  await using server = localServer(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        timer = setInterval(() => controller.enqueue(new TextEncoder().encode("x")), 50);
      },
      cancel() {
        clearInterval(timer);
      },
    });
    return new Response(body);
  });
  await assert.rejects(
    pinnedFetch(`http://127.0.0.1:${server.port}/`, options(undefined, { timeoutMs: 400 })),
    /Timed out after 400 ms/,
  );
});

Deno.test("a cancelled turn cancels the fetch", async () => {
  const { promise: release, resolve: unblock } = Promise.withResolvers<void>();
  await using server = localServer(async () => {
    await release;
    return new Response("late");
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  try {
    await assert.rejects(
      pinnedFetch(
        `http://127.0.0.1:${server.port}/`,
        options(undefined, { signal: controller.signal }),
      ),
      /The fetch of .* was cancelled/,
    );
  } finally {
    unblock();
  }
});

Deno.test("bad URLs, credentials, unknown names and closed ports are clear errors", async () => {
  await assert.rejects(pinnedFetch("not a url", LIMITS), /Cannot parse "not a url" as a URL/);
  await assert.rejects(pinnedFetch("ftp://example.com/", LIMITS), /only http and https/);
  await assert.rejects(
    pinnedFetch("http://u:p@example.com/", LIMITS),
    /URLs with credentials are not fetched/,
  );
  const { resolve } = tableResolver({ "empty.test": [[]] });
  await assert.rejects(
    pinnedFetch("http://nxdomain.test/", options(resolve)),
    /Cannot resolve nxdomain\.test: NXDOMAIN/,
  );
  await assert.rejects(
    pinnedFetch("http://empty.test/", options(resolve)),
    /Cannot resolve empty\.test: no addresses/,
  );
  const closed = localServer(() => new Response(""));
  const port = closed.port;
  await closed[Symbol.asyncDispose]();
  await assert.rejects(
    pinnedFetch(`http://127.0.0.1:${port}/`, options(undefined)),
    /Cannot fetch http:\/\/127\.0\.0\.1:\d+\/: /,
  );
});

const TLS = await selfSigned();

Deno.test({
  name: "https: the pinned connection still verifies the certificate for the host name",
  ignore: TLS === undefined,
}, async () => {
  const tls = TLS!;
  await using server = localServer(() => new Response("over tls"), tls);
  const { resolve } = tableResolver({
    "example.test": [["127.0.0.1"]],
    "other.test": [["127.0.0.1"]],
  });
  const caCerts = [tls.cert];
  const page = await pinnedFetch(
    `https://example.test:${server.port}/`,
    options(resolve, { caCerts }),
  );
  assert.equal(text(page), "over tls");
  assert.deepEqual(server.hosts, [`example.test:${server.port}`]);
  await assert.rejects(
    pinnedFetch(`https://other.test:${server.port}/`, options(resolve, { caCerts })),
    /Cannot fetch https:\/\/other\.test:\d+\/: .*other\.test/,
  );
  await assert.rejects(
    pinnedFetch(`https://example.test:${server.port}/`, options(resolve)),
    /Cannot fetch https:\/\/example\.test/,
    "an unknown issuer is refused without the test CA",
  );
});
