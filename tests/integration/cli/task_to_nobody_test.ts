/**
 * `kafclaw task submit --to` an agent that never joined the group (no inbox on the broker), or one
 * whose model refuses the task, beside running gateways on the real broker: the task fails at once,
 * and says why, where it used to wait silently for its deadline (ten minutes by default).
 */
import assert from "node:assert/strict";
import { kafclaw } from "../../_support/cli.ts";
import { openGroup } from "../../_support/open_group.ts";
import { waitFor } from "../../_support/wait.ts";

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

Deno.test(
  "a task whose worker's model refuses it fails at once, in the model's words, and the worker says why",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using stack = new AsyncDisposableStack();
    const refuses = { status: 400, message: "The model `gpt-test` does not exist" };
    const { members: [ann, ben] } = await openGroup(
      "refused",
      stack,
      [
        ["ann"],
        ["ben", {}, [refuses]],
      ] as const,
    );
    const waited = await kafclaw(
      ["task", "submit", "hi", "--to", "ben", "--wait", "--json"],
      ann.env,
    );
    assert.equal(waited.code, 1, waited.stderr);
    const task = JSON.parse(waited.stdout);
    assert.equal(task.status, "failed");
    assert.deepEqual(task.workers, ["ben"]);
    assert.match(
      task.reason,
      /^The worker's model failed: \S+ at \S+ rejected the request \(HTTP 400/,
    );
    assert.match(task.reason, /does not exist/);
    // Where the task came from and what broke is in ben's own output, for his owner.
    await waitFor(
      () => /Task \S+ \(attempt 1, from ann\) failed: .*HTTP 400/.test(ben.child!.stderr),
      "ben's gateway to say why",
      { state: () => ben.child!.stderr.slice(-1000) },
    );
  },
);
