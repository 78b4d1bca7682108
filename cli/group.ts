/**
 * `kafclaw group`: make a group (`init`, on the owner's machine), let agents in (`invite` for a
 * gated group, `admit` for an agent that brings its own key; `revoke` to shut one out), take
 * part (`join`, in the foreground until Ctrl-C or SIGTERM, leaving the group then; `leave`; both
 * through this home's gateway while it runs in the group: cli/_group_gateway.ts), look at it
 * (`status`, `members`), say what this agent offers (`skills`), and look after its Kafka (`acl`,
 * `gc`).
 * Every one speaks JSON with `--json`.
 *
 * This file holds their flags alone; each action's module is imported when it runs, so `group
 * skills` (config.json) and `group members` beside a running gateway (its store) load neither
 * the group's code nor the Kafka client.
 *
 * @module
 */
import { Command } from "commander";
import type { CliContext } from "./_context.ts";
import { defaultList } from "./_default_list.ts";
import { AGE, duration } from "./_durations.ts";
import { wholeNumber } from "./_numbers.ts";

const owner = () => import("./_group_owner.ts");
const member = () => import("./_group_member.ts");
const skills = () => import("./_group_skills.ts");
const ops = () => import("./_group_ops.ts");

/** `kafclaw group`: make, join, leave and inspect a group of agents over Kafka. */
export function groupCommand(ctx: CliContext): Command {
  const group = new Command("group")
    .description("make, join, leave and inspect a group of agents over Kafka");
  group.command("init")
    .description(
      "make the group: the owner key (kept here, 0600), every topic, this agent's certificate",
    )
    .option("--agent-id <id>", "this agent's id in the group (default group.agentId)")
    .option("--gated", "newcomers need a one-time invite (kafclaw group invite)")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await owner()).initAction(ctx, opts));
  group.command("invite")
    .description("make a one-time invite for a gated group (on the owner's machine)")
    .option("--valid-hours <n>", "how long it may be used (at most a year)", wholeNumber(8760), 24)
    .option("--json", "print as JSON")
    .action(async (opts) => await (await owner()).inviteAction(ctx, opts));
  group.command("admit")
    .description("issue a certificate to an agent that brings its own key (on the owner's machine)")
    .argument("<agent-id>", "the agent's id in the group")
    .option(
      "--public-key <key>",
      "its Ed25519 public key: base64url of the raw 32 bytes (default: the key of the " +
        "certificate the group knows for it)",
    )
    .option("--zones <zones>", "comma-separated zones", "public")
    .option("--vouched", "its records are trusted (not tainted)")
    .option("--issuer", "it may issue certificates itself")
    .option("--valid-days <n>", "how long the certificate holds", wholeNumber(), 365)
    .option("--json", "print as JSON")
    .action(async (agentId: string, opts) => await (await owner()).admitAction(ctx, agentId, opts));
  group.command("revoke")
    .description(
      "revoke an agent's certificate: every member drops its records (on the owner's machine)",
    )
    .argument("<agent-id>", "the agent's id in the group")
    .option(
      "--reason <text>",
      "why, kept on the roster and told to the agent",
      "revoked by the owner",
    )
    .option("--json", "print as JSON")
    .action(async (agentId: string, opts) =>
      await (await owner()).revokeAction(ctx, agentId, opts)
    );
  group.command("join")
    .description(
      "join the group (a certificate first, from a sponsor), and stay until Ctrl-C; while this " +
        "home's gateway runs, it is the gateway that joins again",
    )
    .option("--agent-id <id>", "this agent's id in the group (default group.agentId)")
    .option(
      "--invite <invite>",
      "the owner's one-time invite, for a gated group (default group.invite)",
    )
    .option("--once", "get the certificate and turn the group on in config, without staying")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await member()).joinAction(ctx, opts));
  group.command("leave")
    .description(
      "announce (signed) that this agent leaves, and turn the group off in config; while this " +
        "home's gateway runs in the group, it is the gateway that leaves",
    )
    .option("--json", "print as JSON")
    .action(async (opts) => await (await member()).leaveAction(ctx, opts));
  group.command("status")
    .description("show the group's settings, this agent's certificate, the topics and the members")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await import("./_group_status.ts")).groupStatus(ctx, opts));
  group.command("members")
    .description("list the group's members: the running agent's roster, else the group's topics")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await import("./_group_members.ts")).groupMembers(ctx, opts));
  group.addCommand(skillsCommand(ctx));
  group.command("acl")
    .description("print (or --apply) the Kafka ACLs that give each agent exactly its topics")
    .option("--agent <id>", "only this agent (default: every agent the group's topics name)")
    .option("--owner <id>", "the owner's agent (default: this home's, when it holds the owner key)")
    .option(
      "--zones <zones>",
      "with --agent: the zones it is a member of, comma-separated (default: public only)",
    )
    .option(
      "--apply",
      "create the missing ACLs on the brokers, and remove revoked agents' (needs ALTER on the " +
        "cluster)",
    )
    .option("--json", "print as JSON")
    .action(async (opts) => await (await ops()).groupAcl(ctx, opts));
  group.command("gc")
    .description("delete the inbox and consumer groups of agents gone longer than --older-than")
    .requiredOption("--older-than <duration>", "how long gone: 30m, 12h, 7d ...", duration(AGE))
    .option("--dry-run", "say what would go, delete nothing")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await ops()).groupGc(ctx, opts));
  return group;
}

/** `kafclaw group skills`: list, add and remove the skills this agent offers (config.json). */
function skillsCommand(ctx: CliContext): Command {
  const offered = new Command("skills")
    .description(
      "the skills this agent offers the group (group.skills); a running gateway here follows them",
    );
  defaultList(offered)
    .description("the skills offered, and where that is set")
    .option("--json", "print as JSON")
    .action(async (opts) => await (await skills()).listSkills(ctx, opts));
  offered.command("add")
    .description("offer a skill: add it to group.skills")
    .argument("<name>", "the skill: a-z, 0-9, _ and -")
    .option("--json", "print as JSON")
    .action(async (name: string, opts) => await (await skills()).addSkill(ctx, name, opts));
  offered.command("remove")
    .description("stop offering a skill: remove it from group.skills")
    .argument("<name>", "the skill")
    .option("--json", "print as JSON")
    .action(async (name: string, opts) => await (await skills()).removeSkill(ctx, name, opts));
  return offered;
}
