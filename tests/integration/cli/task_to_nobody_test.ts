/**
 * `kafclaw task submit --to` an agent that never joined the group (no inbox on the broker), beside
 * a running gateway on the real broker: the task fails at once, and says why, where it used to
 * wait silently for its deadline (ten minutes by default).
 */
import assert from "node:assert/strict";
import { kafclaw } from "../../_support/cli.ts";
import { openGroup } from "../../_support/open_group.ts";

Deno.test(
  "a task sent to an agent that never joined fails at once, saying why",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, members: [ann] } = await openGroup("nobody", stack, [["ann"]] as const);
    const why = `agent "ghost" has no inbox in group "${group}": it never joined the group, or ` +
      "group gc removed it";
    const waited = await kafclaw(["task", "submit", "hi", "--to", "ghost", "--wait"], ann.env);
    assert.equal(waited.code, 1, waited.stdout);
    // First the note that nobody by that name is live, then the failure and its reason.
    const [note, failed, ...more] = waited.stderr.split("\n");
    assert.match(note!, /^kafclaw: "ghost" is not in the group now \(it left, or never joined\)/);
    assert.match(failed!, /^kafclaw: task [0-9a-f-]{36} failed: /);
    assert.ok(failed!.endsWith(`failed: ${why}`), waited.stderr);
    assert.deepEqual(more, [""]);
    const json = await kafclaw(
      ["task", "submit", "hi", "--to", "ghost", "--wait", "--json"],
      ann.env,
    );
    const task = JSON.parse(json.stdout);
    assert.deepEqual([task.status, task.reason, task.to], ["failed", why, "agent ghost"]);
    const listed = await kafclaw(["task", "list"], ann.env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.match(/ failed +to agent ghost, attempt 1 {2}hi$/gm)?.length, 2);
    assert.equal(ann.child!.exited, undefined, "the gateway still runs");
  },
);
