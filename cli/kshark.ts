/**
 * `kafclaw kshark`: diagnose a Kafka connection layer by layer (kshark/). This file reads the
 * flags, shows progress, writes the report files and sets the exit code: 0 when no check FAILed,
 * 1 when one did, 2 on a usage error.
 *
 * @module
 */
import { Command, Option } from "commander";
import type { CliContext } from "./_context.ts";
import { CliError, UsageError } from "./_errors.ts";
import { durationOf, KSHARK_TIMEOUT } from "./_durations.ts";
import { keepReport } from "./_kshark_keep.ts";
import { showProgress, writeReportFile } from "./_kshark_output.ts";

interface KsharkFlags {
  broker?: string;
  testConnection?: boolean;
  probeTopics?: boolean;
  group?: string;
  networkDiag?: boolean;
  props?: string;
  auto?: boolean;
  topic?: string;
  preset?: "plaintext" | "self-scram" | "cc-plain";
  timeout: string;
  kafkaTimeout: string;
  produceTimeout: string;
  consumeTimeout: string;
  startOffset: "earliest" | "latest";
  json?: string;
  html?: string;
  junit?: string;
  yes?: boolean;
}

/** `kafclaw kshark`: diagnose a Kafka connection layer by layer. */
export function kshark(ctx: CliContext): Command {
  return new Command("kshark")
    .description("diagnose a Kafka connection layer by layer (DNS, TCP, TLS, SASL, Kafka, probe)")
    .option("--broker <host:port,...>", "the brokers to check (replaces bootstrap.servers)")
    .option("-p, --props <file>", "a client.properties file (Java or librdkafka names)")
    .option("--auto", "take the connection from this agent's config (group.kafka*)")
    .addOption(
      new Option("--preset <name>", "defaults for security.protocol and sasl.mechanism")
        .choices(["plaintext", "self-scram", "cc-plain"]),
    )
    .option("-t, --topic <topics>", "topics to check and probe, comma separated")
    .option("--test-connection", "connection and metadata checks only: no produce/consume probe")
    .option("--probe-topics", "probe even without --topic, on a temporary topic kshark deletes")
    .option("--group <name>", "check a KafClaw group's topic layout and consumer groups")
    .option("--network-diag", "trace the path and MTU to each broker (tracepath or traceroute)")
    .option("--timeout <duration>", "the whole run", "60s")
    .option("--kafka-timeout <duration>", "each connection, handshake and request", "10s")
    .option("--produce-timeout <duration>", "the probe's produce", "10s")
    .option("--consume-timeout <duration>", "reading the probe back", "10s")
    .addOption(
      new Option(
        "--start-offset <where>",
        "where the probe reads from: its record or the beginning",
      )
        .choices(["latest", "earliest"]).default("latest"),
    )
    .option("--json <file>", "write the report as JSON (kshark/report.schema.json)")
    .option("--html <file>", "write the report as a self-contained HTML page")
    .option("--junit <file>", "write the report as JUnit XML, one test case per check")
    .option("-y, --yes", "do not ask before producing a probe record to --topic")
    .action(async (flags: KsharkFlags) => await runCommand(ctx, flags));
}

async function runCommand(ctx: CliContext, flags: KsharkFlags): Promise<void> {
  const k = await import("../kshark/mod.ts");
  const timeouts = {
    totalMs: durationOf(flags.timeout, KSHARK_TIMEOUT, "--timeout"),
    kafkaMs: durationOf(flags.kafkaTimeout, KSHARK_TIMEOUT, "--kafka-timeout"),
    produceMs: durationOf(flags.produceTimeout, KSHARK_TIMEOUT, "--produce-timeout"),
    consumeMs: durationOf(flags.consumeTimeout, KSHARK_TIMEOUT, "--consume-timeout"),
  };
  if (flags.props !== undefined && flags.auto) {
    throw new UsageError(
      "Cannot use --props and --auto together: choose where the settings come from",
    );
  }
  if (flags.testConnection && flags.probeTopics) {
    throw new UsageError(
      "Cannot use --test-connection with --probe-topics: one skips the probe the other asks for",
    );
  }
  // The protocol's names come with its schemas: loaded for --group alone.
  if (
    flags.group !== undefined && !(await import("../core/protocol/mod.ts")).isGroupId(flags.group)
  ) {
    throw new UsageError(
      `Cannot read --group "${flags.group}": a KafClaw group id is a-z, 0-9 and -, starting with a letter or digit, at most 64`,
    );
  }
  const topics = (flags.topic ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  const settings = await loadSettings(ctx, flags, k);
  if (topics.length > 0 && !flags.testConnection && !flags.yes && Deno.stdin.isTerminal()) {
    const go = await ctx.prompter().confirm(
      `kshark will produce one probe record to ${topics.join(", ")}; continue? [y/N]`,
    );
    if (!go) {
      throw new UsageError("Nothing checked: the probe was declined (-y skips this question)");
    }
  }
  const progress = showProgress(ctx, k);
  const report = await k.runKshark({
    settings,
    timeouts,
    topics,
    connectionOnly: flags.testConnection === true,
    probeTopics: flags.probeTopics === true,
    ...(flags.group !== undefined ? { group: flags.group } : {}),
    networkDiag: flags.networkDiag === true,
    startOffset: flags.startOffset,
    onRow: progress.row,
    onStart: progress.start,
  });
  progress.done(report);
  if (flags.json) {
    await writeReportFile(flags.json, JSON.stringify(report, null, 2) + "\n", "--json");
  }
  const html = k.reportHtml(report);
  await keepReport(ctx, report, html);
  if (flags.html) await writeReportFile(flags.html, html, "--html");
  if (flags.junit) await writeReportFile(flags.junit, k.junitXml(report), "--junit");
  const failed = report.summary.total?.fail ?? 0;
  if (failed > 0) throw new CliError(`${failed} check(s) failed`);
}

async function loadSettings(
  ctx: CliContext,
  flags: KsharkFlags,
  k: typeof import("../kshark/mod.ts"),
) {
  try {
    if (flags.auto) return await k.autoSettings(ctx.env(), flags.broker);
    const preset = flags.preset ? k.PRESETS[flags.preset] : {};
    let props: Record<string, string> = {};
    let where = "the flags";
    if (flags.props !== undefined) {
      where = flags.props;
      let text: string;
      try {
        text = await Deno.readTextFile(flags.props);
      } catch (error) {
        const why = error instanceof Deno.errors.NotFound
          ? "no such file"
          : error instanceof Error
          ? error.message
          : String(error);
        throw new k.KsharkSettingsError(`Cannot read --props "${flags.props}": ${why}`);
      }
      props = k.parseProperties(text, flags.props);
    }
    if (flags.props === undefined && flags.broker === undefined) {
      throw new k.KsharkSettingsError(
        "Nothing to check: give --broker host:port, --props <file> or --auto",
      );
    }
    return await k.resolveSettings({ ...preset, ...props }, {
      where,
      ...(flags.broker !== undefined ? { broker: flags.broker } : {}),
    });
  } catch (error) {
    if (
      error instanceof Error &&
      (error.name === "KsharkSettingsError" || error.name === "KafkaSettingsError")
    ) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}
