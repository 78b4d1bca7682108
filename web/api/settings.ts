/**
 * Settings (core/config, as `kafclaw config show|set` use it): the configuration the gateway runs
 * with, secrets masked, and a change to one key of config.json, checked as `config set` checks it
 * (the file is left as it was when the value is refused). Secrets, paths and the gateway's own
 * keys are not written through the API: a secret would pass through a browser, and the others
 * decide who reaches the API at all. A change takes effect when the gateway starts again.
 *
 * @module
 */
import { z } from "zod";
import {
  classifyPath,
  ConfigError,
  ConfigKeyError,
  configValues,
  setConfigValue,
} from "../../core/config/mod.ts";
import { BadRequest, Conflict } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

const CHANGE = z.object({
  key: z.string().min(1).max(200).regex(/^[\w.-]+$/).describe(
    "A dotted key: agent.historyMessages",
  ),
  value: z.string().max(100_000).describe("As `config set` takes it: 40, true, a,b, or JSON"),
});

/** Why the API does not write `key`, or undefined when it may. */
export function notWritable(key: string): string | undefined {
  const target = classifyPath(key);
  if (target.kind === "unknown") return undefined; // setConfigValue names the unknown key
  if (/^(gateway|paths)(\.|$)/.test(key)) {
    return `${key} is set in config.json or the environment only`;
  }
  if (target.kind === "section") return `${key} is a section: set its keys one by one`;
  if (target.spec.secret) {
    return `${key} is a secret: set it with the config command, not through the API`;
  }
  return undefined;
}

/** Mounts the settings endpoints. */
export function mountSettings(routes: ApiRoutes, parts: ApiParts): void {
  routes.add(
    {
      method: "get",
      path: "/api/v1/settings",
      summary: "The running configuration, secrets masked",
      tag: "settings",
    },
    (c) => c.json({ file: parts.config.file, values: configValues(parts.config) }),
  );
  routes.add({
    method: "put",
    path: "/api/v1/settings",
    summary: "Sets one key of config.json (from the next start on)",
    tag: "settings",
    body: CHANGE,
  }, async (c, { body }) => {
    const refusal = notWritable(body.key);
    if (refusal !== undefined) throw new Conflict(refusal, "not_writable");
    try {
      const result = await setConfigValue(
        parts.config.home,
        { path: body.key, value: body.value },
        {
          command: parts.config.command,
        },
      );
      return c.json({ key: body.key, value: result.value, file: result.file, restart: true });
    } catch (error) {
      if (error instanceof ConfigError || error instanceof ConfigKeyError) {
        throw new BadRequest(error.message.split("\n")[0]!);
      }
      throw error;
    }
  });
}
