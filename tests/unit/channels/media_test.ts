/** Inbound channel files: saved whole under a free name, or not at all. */
import assert from "node:assert/strict";
import { saveInbound } from "../../../channels/media.ts";

async function inWorkspace(test: (ws: string) => Promise<void>): Promise<void> {
  const ws = await Deno.makeTempDir({ prefix: "kafclaw-media-" });
  try {
    await test(ws);
  } finally {
    await Deno.remove(ws, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

const hello = new TextEncoder().encode("hello");

Deno.test("an inbound file is saved 0600 under its cleaned name; a taken name gets a suffix", () =>
  inWorkspace(async (ws) => {
    assert.equal(
      await saveInbound(ws, "telegram", "../a report.pdf", hello),
      "inbox/telegram/_a_report.pdf",
    );
    assert.equal(
      await saveInbound(ws, "telegram", "../a report.pdf", hello),
      "inbox/telegram/_a_report-1.pdf",
    );
    assert.deepEqual(await names(`${ws}/inbox/telegram`), ["_a_report-1.pdf", "_a_report.pdf"]);
    const info = await Deno.stat(`${ws}/inbox/telegram/_a_report-1.pdf`);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(`${ws}/inbox/telegram/_a_report.pdf`), "hello");
  }));

Deno.test("a file whose bytes break off half way is not left for the agent, under any name", () =>
  inWorkspace(async (ws) => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (controller.desiredSize === null) return;
        controller.enqueue(hello);
        controller.error(new Error("connection reset"));
      },
    });
    await assert.rejects(saveInbound(ws, "whatsapp", "photo.jpg", broken), /connection reset/);
    assert.deepEqual(await names(`${ws}/inbox/whatsapp`), []);
  }));

Deno.test("an inbox folder planted as a symlink out of the workspace is refused", () =>
  inWorkspace(async (ws) => {
    const outside = await Deno.makeTempDir({ prefix: "kafclaw-outside-" });
    try {
      await Deno.mkdir(`${ws}/inbox`);
      await Deno.symlink(outside, `${ws}/inbox/discord`);
      await assert.rejects(saveInbound(ws, "discord", "x.txt", hello), /leads elsewhere/);
      assert.deepEqual(await names(outside), []);
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  }));
