/**
 * What an agent's group side observes with: the audit of the group (core/group `GroupAudit`),
 * which keeps events from before the join and sends them once the agent is a member, and the
 * spans of its tasks (core/group `GroupSpans`). The gateway's group side (group_side.ts) and the
 * one-command requester (one_shot.ts) build them alike.
 *
 * @module
 */
import { configuredSecrets } from "../agent/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { GroupAudit, GroupSpans, type Membership } from "../group/mod.ts";
import { SecretRedactor } from "../policy/mod.ts";
import type { Timeline } from "../timeline/mod.ts";

/**
 * An agent's audit before it has joined its group: events are kept in `timeline` at once and
 * told on `observe.audit` once {@link observers} opens it with the member's sender.
 */
export function unopenedAudit(
  agentId: string,
  group: string,
  timeline: Pick<Timeline, "events">,
  say?: (line: string) => void,
): GroupAudit {
  return new GroupAudit({ agentId, group, events: timeline.events, warn: (m) => say?.(m) });
}

/**
 * What an agent's group observes with, once it is a member: its `audit` (unopenedAudit), opened
 * here with the member's signed sender, and its spans (stored in `timeline`, sent on the traces
 * topic, content only with `group.traceContent`, redacted of the configured secrets), returned.
 */
export function observers(
  config: ResolvedConfig,
  membership: Membership,
  timeline: Pick<Timeline, "groupTraces">,
  options: { readonly audit: GroupAudit; readonly say?: ((line: string) => void) | undefined },
): GroupSpans {
  const { agentId, group } = membership;
  const send = (records: Parameters<Membership["send"]>[0]) => membership.send(records);
  const warn = (m: string) => options.say?.(m);
  // What was kept goes once the agent is a member (its start may still run: Membership.begin).
  membership.started.then(() => options.audit.open(send), () => {});
  const redactor = new SecretRedactor({ known: configuredSecrets(config) });
  const spans = new GroupSpans({
    agentId,
    group,
    send,
    store: timeline.groupTraces,
    content: config.group.traceContent,
    redact: (text) => redactor.redact(text).text,
    trust: membership.trust,
    warn,
  });
  return spans;
}
