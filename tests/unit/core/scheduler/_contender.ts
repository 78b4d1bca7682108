/**
 * One of several processes sharing a timeline, for the cross-process test: at `startAt` (epoch ms)
 * it starts a scheduler on the system clock, runs for `forMs`, and prints how many runs its runner
 * did, and whether it was ready before `startAt`, as JSON.
 *
 *   deno run -A _contender.ts <timeline.db> <owner> <startAt> <forMs>
 */
import { Scheduler } from "../../../../core/scheduler/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";

const [path, owner, startAt, forMs] = Deno.args as [string, string, string, string];
const timeline = Timeline.open(path);
let runs = 0;
const scheduler = new Scheduler({
  store: timeline,
  owner,
  pollMs: 50,
  runner: async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 300)); // long enough for the others to try
    return `run by ${owner}`;
  },
});
const early = Date.now() < Number(startAt);
while (Date.now() < Number(startAt)) { /* start together */ }
scheduler.start();
await new Promise((r) => setTimeout(r, Number(forMs)));
await scheduler.stop();
timeline.close();
console.log(JSON.stringify({ owner, runs, early }));
