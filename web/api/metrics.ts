/**
 * `GET /metrics` in Prometheus' text format (0.0.4), behind the token like everything else:
 * turns, tool calls, the LLM calls' latency (a summary of the latest 1000) and tokens, tasks and
 * group tasks by status, approvals pending (core/timeline's counts), and over Kafka each consumer
 * group's lag per partition (asked of the brokers, within 2 s; `kafclaw_consumer_lag_up` says
 * whether they answered).
 *
 * @module
 */
import type { PartitionLag } from "../../core/transport/mod.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

/** How long `/metrics` waits for the brokers' offsets. */
export const LAG_TIMEOUT_MS = 2_000;

const TASK_STATUSES = ["pending", "processing", "completed", "failed"];

type Labels = Record<string, string | number>;

/** One metric family: its help, type and samples. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "summary";
  readonly samples: readonly (readonly [suffix: string, labels: Labels, value: number])[];
}

const escape = (value: string | number) =>
  String(value).replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

/** The families as Prometheus' text format. */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [suffix, labels, value] of f.samples) {
      const set = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(",");
      lines.push(
        `${f.name}${suffix}${set ? `{${set}}` : ""} ${Number.isFinite(value) ? value : "NaN"}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** The `q` quantile of `sorted` (ascending), or NaN when empty. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const byStatus = (counts: Record<string, number>, known: readonly string[]) =>
  [...new Set([...known, ...Object.keys(counts)])].map((status) =>
    ["", { status }, counts[status] ?? 0] as const
  );

/** The lag of every consumer group of the agent's group, or undefined when it cannot be told. */
async function lags(parts: ApiParts): Promise<(PartitionLag & { group: string })[] | undefined> {
  const { transport, group } = parts.gateway;
  if (transport.consumerLag === undefined) return undefined;
  const ask = async () => {
    const out: (PartitionLag & { group: string })[] = [];
    for (const id of await transport.listGroups(`kafclaw.${group}.`)) {
      for (const lag of await transport.consumerLag!(id)) out.push({ ...lag, group: id });
    }
    return out;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LAG_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ask().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The metric families of the running gateway. */
export async function families(parts: ApiParts): Promise<Family[]> {
  const m = parts.gateway.runtime.timeline.metrics;
  const events = m.eventsByKind();
  const latency = m.llmLatency();
  const sorted = [...latency.recentMs].sort((a, b) => a - b);
  const tokens = m.tokens();
  const out: Family[] = [
    {
      name: "kafclaw_turns_total",
      help: "Turns started (messages that reached the agent loop)",
      type: "counter",
      samples: [["", {}, events.INBOUND ?? 0]],
    },
    {
      name: "kafclaw_tool_calls_total",
      help: "Tool calls",
      type: "counter",
      samples: [["", {}, events.TOOL ?? 0]],
    },
    {
      name: "kafclaw_llm_latency_seconds",
      help: "LLM call latency (quantiles of the latest 1000 calls)",
      type: "summary",
      samples: [
        ...[0.5, 0.9, 0.99].map((q) => ["", { quantile: q }, quantile(sorted, q) / 1000] as const),
        ["_sum", {}, latency.sumMs / 1000],
        ["_count", {}, latency.count],
      ],
    },
    {
      name: "kafclaw_llm_tokens_total",
      help: "LLM tokens spent",
      type: "counter",
      samples: [["", { kind: "prompt" }, tokens.prompt], [
        "",
        { kind: "completion" },
        tokens.completion,
      ]],
    },
    {
      name: "kafclaw_tasks",
      help: "Tasks (messages handled) by status",
      type: "gauge",
      samples: byStatus(m.tasksByStatus(), TASK_STATUSES),
    },
    {
      name: "kafclaw_group_tasks",
      help: "Group tasks this agent sent, by status",
      type: "gauge",
      samples: byStatus(m.groupTasksByStatus(), []),
    },
    {
      name: "kafclaw_approvals_pending",
      help: "Approval requests waiting for the owner",
      type: "gauge",
      samples: [["", {}, m.approvalsPending()]],
    },
  ];
  if (parts.gateway.transport.consumerLag !== undefined) {
    const lag = await lags(parts);
    out.push(
      {
        name: "kafclaw_consumer_lag_up",
        help: "Whether the brokers told the consumer lag",
        type: "gauge",
        samples: [["", {}, lag === undefined ? 0 : 1]],
      },
      {
        name: "kafclaw_consumer_lag",
        help: "Records past a consumer group's committed offset, per partition",
        type: "gauge",
        samples: (lag ?? []).map((l) =>
          ["", { group: l.group, topic: l.topic, partition: l.partition }, l.lag] as const
        ),
      },
    );
  }
  return out;
}

/** Mounts `/metrics`. */
export function mountMetrics(routes: ApiRoutes, parts: ApiParts): void {
  routes.add(
    {
      method: "get",
      path: "/metrics",
      summary: "Metrics in Prometheus' text format",
      tag: "metrics",
    },
    async (c) =>
      c.text(exposition(await families(parts)), 200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      }),
  );
}
