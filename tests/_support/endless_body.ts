/**
 * A POST whose body comes in HTTP/1.1 chunks with no Content-Length, as a client that wants a
 * server to read without end sends it: chunks go out until the server answers or `capBytes` are
 * sent (then the body is ended). A server that bounds what it reads answers long before the cap;
 * one that reads the whole body first answers only after it, so `sent` tells them apart.
 */

/** What came back: the answer's status and body, and how many body bytes went out before it. */
export interface EndlessAnswer {
  readonly status: number;
  readonly body: string;
  readonly sent: number;
}

/** Posts to `path` on 127.0.0.1:`port` with `headers`; see the module doc. */
export async function postEndless(
  port: number,
  path: string,
  headers: Record<string, string>,
  capBytes = 64 * 1024 * 1024,
): Promise<EndlessAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const head = [
    `POST ${path} HTTP/1.1`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "Content-Type: application/json",
    "Transfer-Encoding: chunked",
    "Connection: close",
  ];
  let answered = false;
  let sent = 0;
  const writing = (async () => {
    await writeAll(conn, encoder.encode(`${head.join("\r\n")}\r\n\r\n`));
    // A JSON string that never closes: valid so far, whatever the server reads of it.
    await writeAll(conn, chunk(encoder.encode('{"code":"')));
    const filler = chunk(new Uint8Array(64 * 1024).fill(0x61));
    while (!answered && sent < capBytes) {
      await writeAll(conn, filler);
      sent += 64 * 1024;
    }
    if (!answered) await writeAll(conn, encoder.encode('2\r\n"}\r\n0\r\n\r\n'));
  })().catch(() => {/* the server closed the connection: it has answered */});
  let text = "";
  const buffer = new Uint8Array(4096);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      text += new TextDecoder().decode(buffer.subarray(0, n));
      if (!answered && text.includes("\r\n\r\n")) answered = true;
      if (answered && complete(text)) break;
    }
  } catch { /* reset after the answer */ }
  answered = true;
  const sentThen = sent;
  conn.close();
  await writing;
  return {
    status: Number(text.split(" ")[1]),
    body: text.slice(text.indexOf("\r\n\r\n") + 4),
    sent: sentThen,
  };
}

/** Whether `text` holds a whole answer with a Content-Length body. */
function complete(text: string): boolean {
  const at = text.indexOf("\r\n\r\n");
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, at));
  return length !== null && text.length - at - 4 >= Number(length[1]);
}

function chunk(bytes: Uint8Array): Uint8Array {
  const size = new TextEncoder().encode(`${bytes.length.toString(16)}\r\n`);
  const out = new Uint8Array(size.length + bytes.length + 2);
  out.set(size);
  out.set(bytes, size.length);
  out.set([13, 10], size.length + bytes.length);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
