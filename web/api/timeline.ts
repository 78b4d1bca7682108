/**
 * `/api/v1/timeline`: the timeline's events, newest first, filtered and paged (`GET /`, which
 * also lists the kinds one may filter by), and a live stream of the events stored from now on as
 * server-sent events (`GET /stream`). The stream sends what this process writes at once, and
 * finds what other processes of the home write (a `kafclaw agent` beside the gateway) by reading
 * the database every 500 ms. Both are declared through the API's routes (routes.ts), so their
 * queries are checked there (a 400 naming the parameter) and the OpenAPI document lists them.
 *
 * @module
 */
import { z } from "zod";
import {
  EVENT_KINDS,
  type EventLog,
  type EventQuery,
  type SpanNode,
  type TimelineEvent,
} from "../../core/timeline/mod.ts";
import { ApiError } from "./errors.ts";
import type { ApiRoutes } from "./routes.ts";

/** What the routes read: the timeline's event log (core/timeline `EventLog`). */
export type TimelineSource = Pick<EventLog, "list" | "after" | "lastId" | "onWrite">;

/** How the stream behaves; the defaults suit a dashboard. */
export interface StreamOptions {
  /** How often the stream looks for new events (default 500 ms). */
  readonly pollMs?: number | undefined;
  /** How often an idle stream sends a comment, so proxies keep it open (default 15 s). */
  readonly keepAliveMs?: number | undefined;
  /** How many streams may be open at once (default 32); one more is refused with a 503. */
  readonly maxStreams?: number | undefined;
  /**
   * Aborted when the server stops: every stream ends then, so the server's shutdown, which waits
   * for the answers under way, does not wait for the open dashboards.
   */
  readonly closing?: AbortSignal | undefined;
}

/** An event as the API shows it (snake_case, as every answer of the API), for the document. */
export const EVENT_JSON = z.object({
  id: z.number().int(),
  event_id: z.string(),
  trace_id: z.string(),
  span_id: z.string(),
  parent_span_id: z.string().nullable(),
  kind: z.enum(EVENT_KINDS),
  session_key: z.string().nullable(),
  channel: z.string().nullable(),
  sender: z.string().nullable(),
  content_text: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  started_at: z.string().describe("ISO 8601"),
  ended_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  taint: z.string(),
  zone: z.string().nullable(),
});

/** A page of events: `next` is the `before` of the next page, null on the last one. */
export const EVENT_PAGE = z.object({
  items: z.array(EVENT_JSON),
  next: z.number().int().nullable(),
});

/** An event as the API shows it. */
export function eventJson(event: TimelineEvent): z.output<typeof EVENT_JSON> {
  return {
    id: event.id,
    event_id: event.eventId,
    trace_id: event.traceId,
    span_id: event.spanId,
    parent_span_id: event.parentSpanId ?? null,
    kind: event.kind,
    session_key: event.sessionKey ?? null,
    channel: event.channel ?? null,
    sender: event.sender ?? null,
    content_text: event.contentText,
    metadata: event.metadata,
    started_at: event.startedAt.toISOString(),
    ended_at: event.endedAt?.toISOString() ?? null,
    duration_ms: event.durationMs ?? null,
    taint: event.taint,
    zone: event.zone ?? null,
  };
}

/** A trace's events as a tree, each node an event as the API shows it, with its children. */
export function eventTree(nodes: readonly SpanNode[]): EventNode[] {
  return nodes.map((n) => ({ event: eventJson(n.event), children: eventTree(n.children) }));
}

/** A node of {@link eventTree}. */
export interface EventNode {
  readonly event: z.output<typeof EVENT_JSON>;
  readonly children: EventNode[];
}

const rowId = z.coerce.number().int().min(0);
const filters = z.strictObject({
  kind: z.enum(EVENT_KINDS).optional(),
  session: z.string().min(1).max(512).optional(),
  trace: z.string().regex(/^[0-9a-f]{1,64}$/, "hexadecimal digits").optional(),
  channel: z.string().min(1).max(128).optional(),
});
/** The query of `GET /`. */
export const listQuery = filters.extend({
  before: rowId.min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
/** The query of `GET /stream`. */
export const streamQuery = filters.extend({ after: rowId.optional() });

type Filters = z.infer<typeof filters>;

/** What the timeline's routes read, and how their stream behaves. */
export interface TimelineParts {
  readonly events: TimelineSource;
  readonly stream?: StreamOptions | undefined;
}

/** Mounts `GET /api/v1/timeline` and `GET /api/v1/timeline/stream`; see the module doc. */
export function mountTimeline(routes: ApiRoutes, parts: TimelineParts): void {
  const { events } = parts;
  const options = parts.stream ?? {};
  const maxStreams = options.maxStreams ?? 32;
  let open = 0;
  routes.add(
    {
      method: "get",
      path: "/api/v1/timeline",
      summary: "The timeline's events, newest first, filtered and paged; and the kinds",
      tag: "timeline",
      query: listQuery,
      response: EVENT_PAGE.extend({ kinds: z.array(z.enum(EVENT_KINDS)) }),
    },
    (c, { query }) => {
      const page = events.list({ ...eventQuery(query), ...definedOnly(query, "before", "limit") });
      return c.json({
        items: page.items.map(eventJson),
        next: page.next ?? null,
        kinds: EVENT_KINDS,
      });
    },
  );
  routes.add(
    {
      method: "get",
      path: "/api/v1/timeline/stream",
      summary: "The events stored from now on (or after `after` / Last-Event-ID), as SSE",
      tag: "timeline",
      query: streamQuery,
      stream: true,
    },
    (c, { query }) => {
      const resume = c.req.header("last-event-id");
      let cursor = query.after ?? events.lastId();
      if (resume !== undefined && /^\d{1,15}$/.test(resume)) cursor = Number(resume);
      if (open >= maxStreams) {
        const message = `${maxStreams} timeline streams are open already; close one and retry`;
        throw new ApiError(503, "too_many_streams", message);
      }
      open++;
      const closed = () => open--;
      return new Response(stream(events, cursor, matcher(query), options, closed), {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          "x-accel-buffering": "no",
        },
      });
    },
  );
}

/** The body of the stream: new events as `timeline` SSE events, each with its row id as `id`. */
function stream(
  events: TimelineSource,
  start: number,
  matches: (event: TimelineEvent) => boolean,
  options: StreamOptions,
  closed: () => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pollMs = options.pollMs ?? 500;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  let cursor = start;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let quietSince = Date.now();
  let end = () => {};
  let stopped = false;
  let unsubscribe = () => {};
  const stop = () => {
    clearTimeout(timer);
    unsubscribe();
    options.closing?.removeEventListener("abort", end);
    if (!stopped) closed();
    stopped = true;
  };
  return new ReadableStream({
    start(controller) {
      // `retry` tells the browser how soon to reconnect; the id (a block with no data, which
      // dispatches nothing) is where a reader that loses the stream before any event resumes,
      // so nothing written while it reconnects is missed.
      controller.enqueue(encoder.encode(`retry: 2000\nid: ${cursor}\n\n`));
      const tick = () => {
        try {
          let batch: TimelineEvent[] = [];
          // A reader that does not keep up is sent nothing more until it does (nothing is lost:
          // the cursor stays where it read to).
          while ((controller.desiredSize ?? 1) > 0) {
            batch = events.after(cursor, 200);
            for (const event of batch) {
              cursor = event.id;
              if (!matches(event)) continue;
              const data = JSON.stringify(eventJson(event));
              controller.enqueue(
                encoder.encode(`id: ${event.id}\nevent: timeline\ndata: ${data}\n\n`),
              );
              quietSince = Date.now();
            }
            if (batch.length < 200) break;
          }
          if (Date.now() - quietSince >= keepAliveMs) {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
            quietSince = Date.now();
          }
        } catch {
          // The database is gone (the gateway stops): the stream ends, the browser reconnects.
          end();
          return;
        }
        timer = setTimeout(tick, pollMs);
      };
      end = () => {
        stop();
        try {
          controller.close();
        } catch { /* the reader went away first */ }
      };
      options.closing?.addEventListener("abort", end, { once: true });
      if (options.closing?.aborted) return end();
      // This process's own writes are sent at once (read once the writer's transaction is over);
      // the poll finds other processes' writes.
      unsubscribe = events.onWrite(() => {
        if (stopped) return;
        clearTimeout(timer);
        timer = setTimeout(tick, 0);
      });
      tick();
    },
    cancel: stop,
  }, { highWaterMark: 64 });
}

function eventQuery(query: Filters): EventQuery {
  return {
    ...(query.kind === undefined ? {} : { kind: query.kind }),
    ...(query.session === undefined ? {} : { sessionKey: query.session }),
    ...(query.trace === undefined ? {} : { traceId: query.trace }),
    ...(query.channel === undefined ? {} : { channel: query.channel }),
  };
}

function matcher(query: Filters): (event: TimelineEvent) => boolean {
  return (e) =>
    (query.kind === undefined || e.kind === query.kind) &&
    (query.session === undefined || e.sessionKey === query.session) &&
    (query.trace === undefined || e.traceId === query.trace) &&
    (query.channel === undefined || e.channel === query.channel);
}

function definedOnly<T extends object, K extends keyof T>(value: T, ...keys: K[]) {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out as { [P in K]?: Exclude<T[P], undefined> };
}
