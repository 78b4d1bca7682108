/**
 * One kshark run: the checks layer by layer, each broker's network checks first, then Kafka,
 * the topics, the probe, the group, the HTTP services and the network paths. A layer that failed
 * makes the checks that need it SKIP (saying why) rather than FAIL again.
 *
 * @module
 */
import { VERSION } from "../core/version.ts";
import { checkApiVersions } from "./api_versions.ts";
import type { CheckContext, Timeouts } from "./check.ts";
import { checkHttp } from "./http_checks.ts";
import { checkLogin, checkMetadata, checkTopics } from "./kafka_checks.ts";
import { ksharkClient } from "./kafka_client.ts";
import { checkDns, checkTcp, checkTls } from "./net_checks.ts";
import { checkNetworkPaths } from "./network_diag.ts";
import { dropProbeTopic, makeProbeTopic, probeTopic, type StartOffset } from "./probe.ts";
import { redactConfig, type Report, type Row, secretScrubber, summarize } from "./report.ts";
import type { KsharkSettings } from "./settings.ts";

/** What to check. */
export interface RunOptions {
  readonly settings: KsharkSettings;
  readonly timeouts: Timeouts;
  /** Topics to check and probe (`--topic`). */
  readonly topics?: readonly string[];
  /** Connection checks only: no probe (`--test-connection`). */
  readonly connectionOnly?: boolean;
  /** Probe even without `--topic`, on a topic of kshark's own (`--probe-topics`). */
  readonly probeTopics?: boolean;
  /** A KafClaw group whose topics and consumer groups to check (`--group`). */
  readonly group?: string;
  readonly networkDiag?: boolean;
  readonly startOffset?: StartOffset;
  /** Each row as it is made, and each check as it starts (the progress indicator). */
  readonly onRow?: (row: Row) => void;
  readonly onStart?: (what: string) => void;
}

/** Runs every check the options ask for and returns the report. */
export async function runKshark(options: RunOptions): Promise<Report> {
  const startedAt = new Date();
  const rows: Row[] = [];
  // Every row and progress line passes here: no check can show a secret of the settings.
  const scrub = secretScrubber(options.settings.echo);
  const ctx: CheckContext = {
    settings: options.settings,
    timeouts: options.timeouts,
    deadline: startedAt.getTime() + options.timeouts.totalMs,
    add(row) {
      const late = Date.now() > this.deadline && row.status !== "SKIP";
      const final: Row = late && row.status !== "FAIL"
        ? {
          ...row,
          status: "FAIL",
          detail: `${row.detail} (after --timeout)`,
          hint: "raise --timeout",
        }
        : row;
      const shown = scrubbed(final, scrub);
      rows.push(shown);
      options.onRow?.(shown);
    },
    starting: (what) => options.onStart?.(scrub(what)),
  };
  const reachable = await networkChecks(ctx);
  if (reachable.length === 0) {
    skipKafka(ctx, "no broker is reachable (TCP, and TLS where configured)");
  } else {
    await kafkaChecks(ctx, options);
  }
  if (options.settings.schemaRegistryUrl) {
    await checkHttp(ctx, {
      name: "Schema Registry",
      url: options.settings.schemaRegistryUrl,
      path: "/subjects",
    });
  }
  if (options.settings.restProxyUrl) {
    await checkHttp(ctx, {
      name: "REST proxy",
      url: options.settings.restProxyUrl,
      path: "/topics",
    });
  }
  if (options.networkDiag) await checkNetworkPaths(ctx);
  return {
    tool: "kshark",
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    rows,
    summary: summarize(rows),
    config: redactConfig(options.settings.echo),
  };
}

/** `row` with no secret in its texts. */
function scrubbed(row: Row, scrub: (text: string) => string): Row {
  const out = {
    ...row,
    component: scrub(row.component),
    target: scrub(row.target),
    detail: scrub(row.detail),
  };
  return row.hint === undefined ? out : { ...out, hint: scrub(row.hint) };
}

/** DNS, TCP, TLS and ApiVersions per broker; the brokers that connected (and shook hands). */
async function networkChecks(ctx: CheckContext): Promise<string[]> {
  const reachable: string[] = [];
  for (const broker of ctx.settings.brokers) {
    const skip = (component: string, layer: Row["layer"], why: string) =>
      ctx.add({ component, target: broker, layer, status: "SKIP", detail: why });
    if (!await checkDns(ctx, broker)) {
      skip("TCP", "L4-TCP", "the host did not resolve");
      skip("TLS", "L5-6-TLS", "the host did not resolve");
      skip("ApiVersions", "L7-Kafka", "the host did not resolve");
      continue;
    }
    if (!await checkTcp(ctx, broker)) {
      skip("TLS", "L5-6-TLS", "no TCP connection");
      skip("ApiVersions", "L7-Kafka", "no TCP connection");
      continue;
    }
    if (!await checkTls(ctx, broker)) {
      skip("ApiVersions", "L7-Kafka", "the TLS handshake failed");
      continue;
    }
    reachable.push(broker);
    await checkApiVersions(ctx, broker);
  }
  return reachable;
}

function skipKafka(ctx: CheckContext, why: string): void {
  const target = ctx.settings.brokers.join(",");
  for (const component of ["SASL", "Metadata"]) {
    ctx.add({ component, target, layer: "L7-Kafka", status: "SKIP", detail: why });
  }
}

async function kafkaChecks(ctx: CheckContext, options: RunOptions): Promise<void> {
  const kafka = ksharkClient(ctx);
  const admin = kafka.admin();
  try {
    if (!await checkLogin(ctx, admin)) {
      ctx.add({
        component: "Metadata",
        target: ctx.settings.brokers.join(","),
        layer: "L7-Kafka",
        status: "SKIP",
        detail: "no Kafka connection",
      });
      return;
    }
    const facts = await checkMetadata(ctx, admin);
    if (facts === undefined) return;
    const usable = checkTopics(ctx, facts, options.topics ?? []);
    if (options.connectionOnly) {
      for (const topic of usable) {
        ctx.add({
          component: "Produce",
          target: topic,
          layer: "L7-Kafka",
          status: "SKIP",
          detail: "--test-connection: no probe",
        });
      }
    } else if (usable.length > 0) {
      for (const topic of usable) {
        await probeTopic(ctx, kafka, admin, {
          topic,
          startOffset: options.startOffset ?? "latest",
        });
      }
    } else if (options.probeTopics && (options.topics ?? []).length === 0) {
      const topic = await makeProbeTopic(ctx, admin, facts.brokers);
      if (topic !== undefined) {
        try {
          await probeTopic(ctx, kafka, admin, {
            topic,
            startOffset: options.startOffset ?? "latest",
          });
        } finally {
          await dropProbeTopic(ctx, admin, topic);
        }
      }
    }
    if (options.group !== undefined) {
      // Loaded for --group alone: it brings core's protocol specs and transport.
      const { checkConsumerGroups, checkGroupTopics, checkJoinDelay } = await import(
        "./group_checks.ts"
      );
      await checkGroupTopics(ctx, facts, options.group);
      await checkConsumerGroups(ctx, admin, options.group);
      await checkJoinDelay(ctx, facts, admin);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
