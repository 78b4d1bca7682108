/**
 * kshark, the Kafka diagnostics of `kafclaw kshark`: layered checks (DNS, TCP, TLS, SASL,
 * ApiVersions, metadata, topics, a produce+consume probe, a KafClaw group's topics and consumer
 * groups, Schema Registry and REST proxy, network paths), the report model, and its text, JSON,
 * HTML and JUnit renderers. `report.schema.json` beside this file is the JSON report's schema.
 *
 * It needs no KAFCLAW_HOME, no LLM and no config: the settings come from a client.properties
 * file, a preset and `--broker`; only `--auto` reads the agent's config ({@link autoSettings}).
 *
 * @example
 * ```ts ignore
 * import { resolveSettings, runKshark } from "./mod.ts";
 * const settings = await resolveSettings({}, { where: "flags", broker: "127.0.0.1:9092" });
 * const report = await runKshark({
 *   settings,
 *   timeouts: { totalMs: 60_000, kafkaMs: 10_000, produceMs: 10_000, consumeMs: 10_000 },
 *   probeTopics: true,
 * });
 * console.log(report.summary.total);
 * ```
 *
 * @module
 */
export { type Timeouts } from "./check.ts";
export {
  exitCodeOf,
  type Layer,
  LAYERS,
  redactConfig,
  REDACTED,
  type Report,
  type Row,
  type Status,
  summarize,
} from "./report.ts";
export { reportHtml } from "./render_html.ts";
export { junitXml } from "./render_junit.ts";
export { plainLine, spinnerFrame, summaryText, table } from "./render_text.ts";
export { runKshark, type RunOptions } from "./run.ts";
export {
  type KsharkSettings,
  KsharkSettingsError,
  parseProperties,
  type Preset,
  PRESETS,
  resolveSettings,
} from "./settings.ts";
export { type StartOffset } from "./probe.ts";

/**
 * `--auto`'s settings: this agent's Kafka settings from its config (see auto.ts). Loaded when
 * called, so that a run without `--auto` loads no config schema.
 */
export async function autoSettings(
  env: Readonly<Record<string, string | undefined>>,
  broker?: string,
): Promise<import("./settings.ts").KsharkSettings> {
  return await (await import("./auto.ts")).autoSettings(env, broker);
}
