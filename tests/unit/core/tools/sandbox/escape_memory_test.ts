/**
 * The escape suite, class 4 of step 5 ("no total memory limit in the sandbox"): a command as a
 * whole holds at most `limits.memoryBytes`, however it splits itself into processes or threads,
 * and cannot hold memory where no address space counts it (memfd, System V shared memory). The
 * hogs here ask for 4 GiB in all of a sandbox that allows 1 GiB, so they stay safe on a shared
 * machine: what they get is bounded by the fix, and by 4 GiB without it.
 */
import assert from "node:assert/strict";
import { memoryBound } from "../../../../../core/tools/sandbox/mod.ts";
import { DEFAULT_SANDBOX_LIMITS } from "../../../../../core/tools/sandbox/mod.ts";
import { makeHome, quote, run, withSandbox } from "./_fixture.ts";

const home = await makeHome();
const CLASS = "class 4, total memory";
const GIB = 1024 ** 3;
const LIMITS = { processes: 16, memoryBytes: GIB, tmpBytes: 8 * 1024 ** 2 };

/**
 * One hog: allocates and touches 8 MiB at a time up to 1 GiB (or until refused), says how much
 * it holds, then holds it until `$2` hogs have said so, so that all hold their memory at once.
 */
const HOG = `
import os, sys, threading, time
name, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held, got, lock = [], [0], threading.Lock()
def grab():
    try:
        while got[0] < (1 << 30):
            block = bytearray(b"\\x01") * (8 << 20)
            with lock:
                held.append(block); got[0] += len(block)
    except MemoryError:
        pass
workers = [threading.Thread(target=grab) for _ in range(threads - 1)]
for w in workers: w.start()
grab()
for w in workers: w.join()
open(f"/tmp/hog-{name}", "w").write(str(got[0]))
while len([f for f in os.listdir("/tmp") if f.startswith("hog-")]) < count:
    time.sleep(0.01)
print(got[0], flush=True)
`;

const hogs = (count: number, threads = 1) =>
  Array.from({ length: count }, (_, n) => `python3 -c ${quote(HOG)} ${n} ${count} ${threads} &`)
    .join(" ") + " wait";

const held = (stdout: string) =>
  stdout.trim().split("\n").filter((line) => line !== "").map(Number);

Deno.test(`${CLASS}: four processes allocating at once hold at most the sandbox's memory`, async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, hogs(4), { timeoutMs: 20000 });
    const each = held(result.stdout);
    assert.equal(each.length, 4, result.stdout + result.stderr);
    assert.ok(each.every((bytes) => bytes > 0 && bytes < GIB), each.join());
    const total = each.reduce((sum, bytes) => sum + bytes, 0);
    assert.ok(total <= LIMITS.memoryBytes, `the hogs held ${total} bytes in all`);
  }, { limits: LIMITS });
});

Deno.test(`${CLASS}: more processes do not mean more memory`, async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, hogs(12), { timeoutMs: 20000 });
    const each = held(result.stdout);
    assert.equal(each.length, 12, result.stdout + result.stderr);
    const total = each.reduce((sum, bytes) => sum + bytes, 0);
    assert.ok(total <= LIMITS.memoryBytes, `the hogs held ${total} bytes in all`);
  }, { limits: LIMITS });
});

Deno.test(`${CLASS}: threads of one process share its one share`, async () => {
  // 256 MiB of address space each: room for a few threads (glibc reserves address space for
  // each thread's stack and heap), which count as processes too.
  const limits = { ...LIMITS, processes: 8, memoryBytes: 2 * GIB };
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, hogs(1, 3), { timeoutMs: 20000 });
    const [bytes = 0] = held(result.stdout);
    assert.ok(bytes > 0 && bytes <= limits.memoryBytes / limits.processes, result.stderr);
  }, { limits });
});

Deno.test(`${CLASS}: memory files and System V shared memory are refused`, async () => {
  await withSandbox(home, async (sandbox) => {
    const memfd =
      "import os; fd = os.memfd_create('hog'); os.ftruncate(fd, 1 << 30); print('made')";
    const result = await run(
      home,
      sandbox,
      `python3 -c ${quote(memfd)}; ipcmk -M 1073741824; echo ipcmk=$?`,
    );
    assert.doesNotMatch(result.stdout, /made/);
    assert.match(result.stderr, /PermissionError: \[Errno 1\] Operation not permitted/);
    assert.match(result.stdout, /ipcmk=1/);
  }, { limits: LIMITS });
});

Deno.test(`${CLASS}: a shared mapping larger than a process's share is refused`, async () => {
  await withSandbox(home, async (sandbox) => {
    // 256 MiB, four times the share of one process (1 GiB / 16).
    const map =
      "import mmap; m = mmap.mmap(-1, 1 << 28); m[::4096] = b'x' * (1 << 16); print('mapped')";
    const result = await run(home, sandbox, `python3 -c ${quote(map)}`);
    assert.doesNotMatch(result.stdout, /mapped/);
    assert.match(result.stderr, /Cannot allocate memory|MemoryError/);
  }, { limits: LIMITS });
});

Deno.test(`${CLASS}: the bound is processes x address space plus /tmp and /dev/shm`, () => {
  assert.equal(memoryBound({ ...DEFAULT_SANDBOX_LIMITS, ...LIMITS }), GIB + 16 * 1024 ** 2);
  const defaults = memoryBound(DEFAULT_SANDBOX_LIMITS);
  assert.ok(defaults <= 4.5 * GIB, `the default bound is ${defaults} bytes`);
});

Deno.test("class 4: no result of this file contained the canary", async () => {
  try {
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
