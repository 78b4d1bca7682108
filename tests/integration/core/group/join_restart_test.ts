/**
 * `kafclaw group join` run again right after a crash, on the real broker. The member it runs holds
 * the agent's consumer group like a gateway does; SIGKILLed, it leaves that member behind until
 * its session ends (30 s). Its consumers say which process they are (the run tag), with the place
 * and start time only a process allowed to ask the kernel (`--allow-ffi`) can give: so the join
 * started again at once proves the dead run gone and joins, and a second join beside a live one is
 * refused naming the pid and this host.
 *
 * Without the place (the `group` set without ffi) the dead run could be proven gone by no one:
 * the join started again was refused ("already runs in it (pid N)") until the broker ended the
 * session, and the refusal could not say which host.
 */
import assert from "node:assert/strict";
import { agentConsumerGroup } from "../../../../core/protocol/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { Child } from "../../../_support/child.ts";
import { kafclaw, kafclawCommand, tempHome } from "../../../_support/cli.ts";
import { groupEnv } from "../../../_support/group_homes.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a group join SIGKILLed and run again at once joins; a second one beside the live one is refused naming its pid and host",
  opts,
  async () => {
    const group = uniqueName("jr");
    await using home = await tempHome();
    const env = groupEnv(group, home.path, { KAFCLAW_GROUP_SECURITY: "open" });
    const made = await kafclaw(["group", "init", "--agent-id", "boss", "--json"], env);
    assert.equal(made.code, 0, made.stderr);
    const reader = new KafkaTransport({ brokers: testBrokers(), clientId: "join-restart-reader" });
    try {
      const stream = agentConsumerGroup(group, "boss");
      await using first = new Child(kafclawCommand(["group", "join"], env));
      await first.until(/in group/);
      first.process.kill("SIGKILL");
      await first.exit();
      // Its member is still in the group: the broker has not ended its session.
      assert.equal(await reader.groupMembers(stream), 1);

      await using again = new Child(kafclawCommand(["group", "join"], env));
      await waitFor(
        () => /in group/.test(again.stdout) || again.exited !== undefined,
        "the join run again to join or end",
        { timeoutMs: 60_000, state: () => ({ stdout: again.stdout, stderr: again.stderr }) },
      );
      assert.equal(again.exited, undefined, `the join run again was refused: ${again.stderr}`);

      await using twin = new Child(kafclawCommand(["group", "join"], env));
      assert.equal(await twin.exit(), 1, twin.stderr);
      assert.match(
        twin.stderr,
        new RegExp(
          `Cannot join group "${group}": agent "boss" already runs in it ` +
            `\\(pid ${again.process.pid} on host ${Deno.hostname()}\\)`,
        ),
      );
      assert.equal(again.exited, undefined, "the live join still runs");
      assert.equal(await again.stop("SIGTERM"), 0, again.stderr);
    } finally {
      await reader.close();
    }
  },
);
