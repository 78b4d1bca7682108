/**
 * The API's routes, each declared once with its zod schemas: {@link ApiRoutes.add} mounts the
 * handler on the Hono app with the body and query checked against those schemas (a failure is a
 * 400 naming the field), and keeps the declaration for the OpenAPI document (openapi.ts), so the
 * document and the checks can never disagree.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Mode } from "../../core/config/mod.ts";
import { BadRequest, Conflict } from "./errors.ts";

/** An HTTP method the API uses. */
export type Method = "get" | "post" | "put" | "patch" | "delete";

/** One endpoint as declared. */
export interface RouteSpec {
  readonly method: Method;
  /** Hono's path syntax (`/api/v1/sessions/:key`). */
  readonly path: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** The area it belongs to (`chat`, `group` …). */
  readonly tag: string;
  readonly body?: z.ZodType | undefined;
  readonly query?: z.ZodType | undefined;
  /** The JSON of a success, when it has a schema. */
  readonly response?: z.ZodType | undefined;
  /** Answers with `text/event-stream` (or JSON, by the request). */
  readonly stream?: boolean | undefined;
  /**
   * Needs a group, over Kafka or in process: 409 in standalone mode, unless the gateway runs
   * several agents (agents.list), who are a group in its process.
   */
  readonly group?: boolean | undefined;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler is given: the checked body and query. */
export interface RouteInput<B, Q> {
  readonly body: Out<B>;
  readonly query: Out<Q>;
}

/** A handler of one route. */
export type RouteHandler<B, Q> = (
  c: Context,
  input: RouteInput<B, Q>,
) => Response | Promise<Response>;

/** The routes of one app, mounted and remembered; see the module doc. */
export class ApiRoutes {
  readonly #app: Hono;
  readonly #specs: RouteSpec[] = [];
  readonly #mode: Mode | undefined;
  readonly #agents: number;
  /** Tells the gateway's operator what failed in a handler (never the client). */
  readonly warn: (line: string) => void;

  /**
   * `mode` and `agents` (how many agents the gateway runs in its process; default 1): whether
   * group routes answer (not in standalone mode with one agent); `warn`: where failures the
   * client is not told about go.
   */
  constructor(
    app: Hono,
    options: {
      readonly mode?: Mode | undefined;
      readonly agents?: number | undefined;
      readonly warn?: ((line: string) => void) | undefined;
    } = {},
  ) {
    this.#app = app;
    this.#mode = options.mode;
    this.#agents = options.agents ?? 1;
    this.warn = options.warn ?? (() => {});
  }

  /** The declarations, in the order they were added. */
  get specs(): readonly RouteSpec[] {
    return this.#specs;
  }

  /** Mounts `handler` for `spec`, behind the checks of its body and query. */
  add<
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
  >(
    spec: RouteSpec & { readonly body?: B; readonly query?: Q },
    handler: RouteHandler<B, Q>,
  ): void {
    this.#specs.push(spec);
    this.#app.on(spec.method.toUpperCase(), spec.path, async (c) => {
      if (spec.group && this.#mode === "standalone" && this.#agents < 2) {
        throw standaloneRefusal();
      }
      const body = spec.body === undefined ? undefined : await readBody(c, spec.body);
      const query = spec.query === undefined
        ? undefined
        : checked(spec.query, c.req.query(), "query parameter");
      return await handler(c, { body, query } as RouteInput<B, Q>);
    });
  }
}

/** The request's JSON body checked against `schema`. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw new BadRequest("Invalid body: it is not JSON");
  }
  return checked(schema, value, "body field");
}

/** `value` as `schema` reads it, or a 400 naming the first field that does not fit. */
export function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // A key the schema does not take is named as the field (its issue's path is the object's).
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = path.map(String).join(".");
  const where = field === "" ? what.replace(/ (field|parameter)$/, "") : `${what} "${field}"`;
  throw new BadRequest(`Invalid ${where}: ${issue.message}`);
}

/** The 409 of a group endpoint in standalone mode. */
export function standaloneRefusal(): Conflict {
  return new Conflict(
    "This gateway runs in standalone mode, without a group: start it with --mode group " +
      "(or full) and group.enabled, or list several agents in agents.list, to use the group " +
      "endpoints",
    "standalone",
  );
}

/** The paging query of a list: at most `limit` items, older than item `before`. */
export const PAGE_QUERY = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe("At most this many (50)"),
  before: z.coerce.number().int().min(1).optional().describe("Older than this id (`next`)"),
}).transform((q): { limit?: number; before?: number } => ({
  ...(q.limit === undefined ? {} : { limit: q.limit }),
  ...(q.before === undefined ? {} : { before: q.before }),
}));

/** A path parameter checked against `schema` (400 naming it). */
export function param<S extends z.ZodType>(c: Context, name: string, schema: S): z.output<S> {
  return checked(schema, c.req.param(name), `path parameter "${name}"`);
}
