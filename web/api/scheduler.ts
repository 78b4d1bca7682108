/**
 * Scheduled jobs (core/scheduler, as `kafclaw cron` edits them): list, add, replace, remove, and
 * run one now through the door (the job's session, as its schedule would). A job defined in
 * config.json's `scheduler.jobs` is changed there, not here (409): the next sync would undo it.
 *
 * @module
 */
import { z } from "zod";
import { jobRunner } from "../../core/agent/mod.ts";
import { defineJob, Scheduler } from "../../core/scheduler/mod.ts";
import type { Job } from "../../core/timeline/mod.ts";
import { BadRequest, Conflict, found } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, param } from "./routes.ts";
import { wire } from "../../core/wire/mod.ts";

const NAME = z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, {
  message: "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
});

const DEFINITION = z.object({
  schedule: z.string().min(1).max(200).describe('5-field cron or @daily: "0 8 * * MON-FRI"'),
  message: z.string().trim().min(1).max(100_000).describe("What the agent gets"),
  enabled: z.boolean().default(true),
  timezone: z.string().min(1).max(64).optional().describe("IANA time zone of the schedule"),
});

const NEW_JOB = DEFINITION.extend({ name: NAME });

/** Mounts the scheduler endpoints. */
export function mountScheduler(routes: ApiRoutes, parts: ApiParts): void {
  const { runtime } = parts.gateway;
  const jobs = runtime.timeline.jobs;
  const zone = parts.config.scheduler.timezone;
  const existing = (name: string): Job => found(jobs.get(name), `No job ${name}`);
  const editable = (job: Job): Job => {
    if (job.origin !== "config") return job;
    throw new Conflict(
      `Job ${job.name} is defined in scheduler.jobs of config.json; change it there`,
    );
  };
  const save = (name: string, d: z.output<typeof DEFINITION>): Job => {
    let definition;
    try {
      definition = defineJob(
        {
          name,
          schedule: d.schedule,
          message: d.message,
          enabled: d.enabled,
          ...(d.timezone === undefined ? {} : { timezone: d.timezone }),
        },
        { now: new Date(), ...(zone === undefined ? {} : { timezone: zone }) },
      );
    } catch (error) {
      throw new BadRequest(`Invalid job: ${(error as Error).message.split("\n")[0]}`);
    }
    return jobs.upsert(definition);
  };
  routes.add(
    { method: "get", path: "/api/v1/scheduler/jobs", summary: "Every job", tag: "scheduler" },
    (c) => c.json({ items: jobs.list().map(wire) }),
  );
  routes.add({
    method: "post",
    path: "/api/v1/scheduler/jobs",
    summary: "Adds a job",
    tag: "scheduler",
    body: NEW_JOB,
  }, (c, { body }) => {
    if (jobs.get(body.name) !== undefined) {
      throw new Conflict(`Job ${body.name} exists; PUT replaces it`);
    }
    return c.json(wire(save(body.name, body)), 201);
  });
  routes.add(
    { method: "get", path: "/api/v1/scheduler/jobs/:name", summary: "One job", tag: "scheduler" },
    (c) => c.json(wire(existing(param(c, "name", NAME)))),
  );
  routes.add({
    method: "put",
    path: "/api/v1/scheduler/jobs/:name",
    summary: "Replaces a job (its history is kept)",
    tag: "scheduler",
    body: DEFINITION,
  }, (c, { body }) => {
    const job = editable(existing(param(c, "name", NAME)));
    return c.json(wire(save(job.name, body)));
  });
  routes.add(
    {
      method: "delete",
      path: "/api/v1/scheduler/jobs/:name",
      summary: "Removes a job",
      tag: "scheduler",
    },
    (c) => {
      const job = editable(existing(param(c, "name", NAME)));
      jobs.remove(job.name);
      return c.json({ deleted: job.name });
    },
  );
  routes.add({
    method: "post",
    path: "/api/v1/scheduler/jobs/:name/run",
    summary: "Runs a job now through the agent (its schedule is kept)",
    tag: "scheduler",
  }, async (c) => {
    const job = existing(param(c, "name", NAME));
    if (!job.enabled) throw new Conflict(`Job ${job.name} is disabled`);
    await using scheduler = new Scheduler({
      store: runtime.timeline,
      runner: jobRunner(runtime.door),
    });
    const report = await scheduler.runNow(job.name);
    if (report === undefined) throw new Conflict(`Job ${job.name} is running already`, "running");
    return c.json(wire(report));
  });
}
