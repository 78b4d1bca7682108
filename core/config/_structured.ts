/**
 * The inner schemas of the structured keys (`agents.list`, `scheduler.jobs`, prices, principals,
 * sensitivity rules), in zod. Loaded only when one of those keys is set (`_structured_load.ts`):
 * most processes set none, and zod takes longer to load than a short command to run.
 *
 * @module
 */
import { z } from "zod";
import { CronSchedule, type CronSyntaxError, JOB_NAME } from "../cron/mod.ts";
import { toJson } from "./_coerce.ts";
import {
  AGENT_ID_RULE,
  isModelRef,
  isTimeZone,
  MODEL_REF,
  NAME,
  NAME_RULE,
  SKILL,
} from "./schema.ts";

/** A structured key's schema as the value is given: a JSON text (from the environment) parsed. */
export function fromJson<T extends z.ZodType>(inner: T) {
  return z.preprocess(toJson, inner);
}

const modelRef = () => z.string().refine(isModelRef, { error: `a model as ${MODEL_REF}` });
const PRICE_KEY = /^[a-z]+\/.+$/;

/**
 * Ids no agent of ours may take in a group: they name the owner and the consumer groups several
 * agents share (core/protocol `isMemberId`, which a test keeps this list equal to).
 */
const RESERVED_AGENT_IDS = ["owner", "workers", "sponsors", "skill", "zone", "reader"];
const tier = () =>
  z.int({ error: "a tool tier: 0, 1 or 2" }).min(0, { error: "a tool tier: 0, 1 or 2" })
    .max(2, { error: "a tool tier: 0, 1 or 2" });

/**
 * One agent of `agents.list`; `model` may be given as just its primary `provider/model`. Its id is
 * its id in the group too (a gateway runs the list's agents as members of one in-process group),
 * so it follows the group's rule for agent ids.
 */
const agentEntry = () =>
  z.strictObject({
    id: z.string().regex(SKILL, { error: `an agent id of ${AGENT_ID_RULE}` }).refine(
      (id) => !RESERVED_AGENT_IDS.includes(id),
      { error: `an agent id other than ${RESERVED_AGENT_IDS.join(", ")}` },
    ),
    name: z.string().min(1, { error: "a non-empty name" }).optional(),
    default: z.boolean({ error: "true or false" }).optional(),
    model: z.preprocess(
      (v) => typeof v === "string" ? { primary: v } : v,
      z.strictObject({
        primary: modelRef(),
        fallbacks: z.array(modelRef(), { error: "a list of provider/model names" }).optional(),
      }, { error: 'a model: "provider/model" or {"primary": …, "fallbacks": […]}' }),
    ).optional(),
    workspace: z.string().trim().min(1, { error: "a directory path" }).optional(),
    skills: z.array(
      z.string().regex(SKILL, { error: `a skill name of ${AGENT_ID_RULE}` }),
      { error: "a list of skill names" },
    ).optional(),
    policy: z.strictObject({
      maxAutoTier: tier().optional(),
      externalMaxTier: tier().optional(),
    }, { error: 'a policy: {"maxAutoTier": 0-2, "externalMaxTier": 0-2}' }).optional(),
  }, { error: 'an agent: {"id": …, "model": …}' });

/** The schema of one structured key. */
export const agentList = () =>
  z.array(agentEntry(), { error: "a list of agents" }).superRefine(
    (agents, ctx) => {
      const seen = new Set<string>();
      let defaults = 0;
      for (const [i, agent] of agents.entries()) {
        if (seen.has(agent.id)) {
          ctx.addIssue({ code: "custom", path: [i, "id"], message: "an id no other agent has" });
        }
        seen.add(agent.id);
        if (agent.default && ++defaults > 1) {
          ctx.addIssue({
            code: "custom",
            path: [i, "default"],
            message: "one default agent at most",
          });
        }
      }
    },
  );

const usd = () =>
  z.number({ error: "a number of US dollars" }).min(0, { error: "a price of 0 or more" });
/** The schema of one structured key. */
export const priceTable = () =>
  z.record(
    z.string().refine((key) => PRICE_KEY.test(key) && (key.endsWith("/*") || isModelRef(key)), {
      error: "prices keyed by provider/model or provider/*",
    }),
    z.strictObject({ promptPer1k: usd(), completionPer1k: usd() }, {
      error: 'a price: {"promptPer1k": USD, "completionPer1k": USD}',
    }),
    { error: 'an object of prices by provider/model, e.g. {"openai/gpt-4o": {…}}' },
  );

/** The schema of one structured key. */
export const aclPrincipals = () =>
  z.record(
    z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: "principals keyed by agent id" }),
    z.string().regex(/^[A-Za-z]+:[^\s]+$/, { error: "a principal: Type:name, e.g. User:alice" }),
    { error: 'an object of principals by agent id, e.g. {"alice": "User:alice"}' },
  );

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

/** The schema of one structured key. */
export const sensitivityRules = () =>
  z.array(
    z.strictObject({
      name: z.string().regex(NAME, { error: `a level name of ${NAME_RULE.expected}` }),
      patterns: z.array(
        z.string().refine(compiles, { error: "a regular expression (JavaScript syntax, u flag)" }),
        { error: "a list of regular expressions" },
      ).optional(),
      keywords: z.array(z.string().min(1, { error: "a non-empty keyword" }), {
        error: "a list of keywords",
      }).optional(),
      routeTo: modelRef().optional(),
    }, { error: 'a rule: {"name": …, "patterns": […], "keywords": […], "routeTo": …}' }),
    { error: "a list of sensitivity rules" },
  );

/** The schema of one structured key. */
export const jobList = () =>
  z.array(
    z.strictObject({
      name: z.string().regex(JOB_NAME, {
        error: "a job name of 1-64 letters, digits, '.', '_' or '-'",
      }),
      schedule: z.string().superRefine((expression, ctx) => {
        try {
          CronSchedule.parse(expression);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            message: `a cron expression (${(error as CronSyntaxError).problem})`,
          });
        }
      }),
      message: z.string().trim().min(1, { error: "the message the job sends (not empty)" }),
      timezone: z.string().refine(isTimeZone, { error: "an IANA time zone" }).optional(),
      enabled: z.boolean({ error: "true or false" }).optional(),
    }, { error: 'a job: {"name": …, "schedule": …, "message": …}' }),
    { error: "a list of jobs" },
  ).superRefine((jobs, ctx) => {
    const seen = new Set<string>();
    for (const [i, job] of jobs.entries()) {
      if (seen.has(job.name)) {
        ctx.addIssue({ code: "custom", path: [i, "name"], message: "a name no other job has" });
      }
      seen.add(job.name);
    }
  });
