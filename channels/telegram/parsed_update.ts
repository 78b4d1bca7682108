/**
 * grammY's webhook adapter for an update the listener has already read and parsed: the body is
 * bounded and judged once (channels/body.ts, then `JSON.parse`), and grammY is handed that value
 * instead of parsing the body again. It answers as grammY's `std/http` adapter does.
 *
 * @module
 */
import type { Context } from "grammy";

/** An update as grammY handles it. */
export type Update = Context["update"];

/** The adapter: `update` parsed, `header` the request's secret token header, if any. */
export function parsedUpdate(update: Update, header: string | undefined) {
  let answer: (response: Response) => void = () => {};
  const handlerReturn = new Promise<Response>((resolve) => answer = resolve);
  return {
    update,
    ...(header === undefined ? {} : { header }),
    end: () => answer(new Response(null, { status: 200 })),
    respond: (json: string) =>
      answer(new Response(json, { status: 200, headers: { "Content-Type": "application/json" } })),
    unauthorized: () =>
      answer(new Response('"unauthorized"', { status: 401, statusText: "secret token is wrong" })),
    handlerReturn,
  };
}
