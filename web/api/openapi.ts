/**
 * The OpenAPI 3.1 document of the API, built from the routes' own zod schemas (routes.ts), served
 * at `/api/v1/openapi.json`. Every error answer is the one {@link ErrorBody} shape.
 *
 * @module
 */
import { z } from "zod";
import { VERSION } from "../../core/version.ts";
import type { RouteSpec } from "./routes.ts";

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as a client sends it. */
function schemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const ERROR = z.object({
  error: z.object({
    code: z.string().describe("Stable, for programs: bad_request, not_found, wrong_token …"),
    message: z.string().describe("One line, for people"),
  }),
});

const ERROR_REF = { $ref: "#/components/responses/Error" };

/** The parameters of a route: its path's, then its query's. */
function parameters(spec: RouteSpec): Json[] {
  const path = [...spec.path.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (spec.query === undefined) return path;
  const query = schemaOf(spec.query, "input");
  const required = new Set((query.required as string[] | undefined) ?? []);
  const properties = (query.properties ?? {}) as Record<string, Json>;
  return [
    ...path,
    ...Object.entries(properties).map(([name, schema]) => ({
      name,
      in: "query",
      required: required.has(name),
      schema,
    })),
  ];
}

function operation(spec: RouteSpec): Json {
  const json = spec.response === undefined ? {} : { schema: schemaOf(spec.response, "output") };
  const content: Json = { "application/json": json };
  if (spec.stream) content["text/event-stream"] = { schema: { type: "string" } };
  const errors: Record<string, Json> = {};
  for (const code of ["400", "401", "403", "404", "413", "429", "500"]) errors[code] = ERROR_REF;
  if (spec.group) errors["409"] = ERROR_REF;
  return {
    summary: spec.summary,
    tags: [spec.tag],
    operationId: `${spec.method}${
      spec.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c) => c?.toUpperCase() ?? "")
    }`,
    parameters: parameters(spec),
    ...(spec.body === undefined ? {} : {
      requestBody: {
        required: true,
        content: { "application/json": { schema: schemaOf(spec.body, "input") } },
      },
    }),
    responses: { "200": { description: "Success", content }, ...errors },
  };
}

/** The document of the API made of `specs`. */
export function openApiDocument(specs: readonly RouteSpec[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const spec of specs) {
    const path = spec.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[spec.method] = operation(spec);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "KafClaw gateway API",
      version: VERSION,
      description: "Every path needs Authorization: Bearer <the gateway's token>. " +
        "Errors are {error: {code, message}}.",
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: schemaOf(ERROR, "output") },
      responses: {
        Error: {
          description: "Refused or failed",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    },
  };
}
