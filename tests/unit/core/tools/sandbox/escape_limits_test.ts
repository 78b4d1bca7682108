/**
 * The escape suite, limits and processes: fork bombs, CPU burners, output floods, a full /tmp,
 * signals and ptrace at host processes. The host must stay fine and every call must return.
 */
import assert from "node:assert/strict";
import { alive, makeHome, processesWith, run, withSandbox } from "./_fixture.ts";

const home = await makeHome();

Deno.test("sandbox, limits: a fork bomb is bounded by the process limit and the call returns", async () => {
  const marker = `bomb${crypto.randomUUID().slice(0, 8)}`;
  await withSandbox(home, async (sandbox) => {
    const started = performance.now();
    const bomb = `${marker}(){ ${marker}|${marker}& }; ${marker}; while :; do :; done`;
    const result = await run(home, sandbox, bomb, { timeoutMs: 2000, maxOutputBytes: 4096 });
    assert.ok(performance.now() - started < 5000);
    assert.equal(result.timedOut, true);
    assert.match(result.stderr, /Cannot fork/);
  });
  assert.deepEqual(await processesWith(marker), [], "no process of the bomb is left on the host");
  const after = await new Deno.Command("true").output();
  assert.ok(after.success, "the host can still start processes");
});

Deno.test("sandbox, limits: a command cannot have more processes than the limit", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "i=0; while [ $i -lt 100 ]; do sleep 3 & i=$((i+1)); echo $i; done",
      { maxOutputBytes: 4096 },
    );
    const count = Number(result.stdout.trim().split("\n").at(-1));
    assert.ok(count > 50 && count <= 64, `${count} processes`);
    assert.match(result.stderr, /Cannot fork/);
  });
});

Deno.test("sandbox, limits: the classic :(){ :|:& };: fork bomb returns too", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, ":(){ :|:& };:", {
      timeoutMs: 1500,
      maxOutputBytes: 1024,
    });
    assert.ok(result.exitCode !== 0 || result.timedOut);
  });
});

Deno.test("sandbox, limits: a CPU burner hits the time limit, and its processes are gone", async () => {
  const marker = `burn${crypto.randomUUID().slice(0, 8)}`;
  await withSandbox(home, async (sandbox) => {
    const started = performance.now();
    const result = await run(
      home,
      sandbox,
      `${marker}=1; while :; do :; done & while :; do :; done`,
      {
        timeoutMs: 800,
      },
    );
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, null);
    assert.ok(performance.now() - started < 3000);
  });
  assert.deepEqual(await processesWith(marker), []);
});

Deno.test("sandbox, limits: an output flood is cut at maxOutputBytes and says so", async () => {
  await withSandbox(home, async (sandbox) => {
    const cut = await run(home, sandbox, "yes kafclaw | head -c 5000000; echo done >&2", {
      maxOutputBytes: 1000,
    });
    assert.equal(cut.truncated, true);
    assert.equal(cut.exitCode, 0);
    assert.ok(cut.stdout.length + cut.stderr.length <= 1000);
    const endless = await run(home, sandbox, "yes", { timeoutMs: 800, maxOutputBytes: 1000 });
    assert.equal(endless.truncated, true);
    assert.equal(endless.timedOut, true);
  });
});

Deno.test("sandbox, limits: filling /tmp and /dev/shm fails with ENOSPC inside and costs the host nothing", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "dd if=/dev/zero of=/tmp/fill bs=1M count=64; dd if=/dev/zero of=/dev/shm/fill bs=1M count=64",
    );
    assert.equal((result.stderr.match(/No space left on device/g) ?? []).length, 2);
  });
});

Deno.test("sandbox, limits: a file larger than the file size limit cannot be written", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "head -c 3000000 /dev/zero > big; echo $?; wc -c < big",
    );
    assert.deepEqual(result.stdout.trim().split("\n"), ["153", "1048576"]);
  }, { limits: { fileSizeBytes: 1048576 } });
});

Deno.test("sandbox, processes: kill -9 -1 inside does not reach the host's processes", async () => {
  const host = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await withSandbox(home, async (sandbox) => {
      const result = await run(home, sandbox, `kill -9 -1; kill -9 ${host.pid}; echo $?`);
      assert.match(result.stdout, /1\n$/);
    });
    assert.ok(alive(host.pid), "the host process survived");
  } finally {
    host.kill("SIGKILL");
    await host.status;
  }
});

Deno.test("sandbox, processes: host processes are invisible: no pid, no environ, no ptrace target", async () => {
  const host = Deno.pid;
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      `ls /proc | grep -c '^[0-9]'; cat /proc/${host}/environ; kill -0 ${host}; ` +
        `ls /proc/${host}/root; timeout 2 strace -p ${host} -e trace=none; echo strace=$?; ` +
        `gdb -batch -p ${host} 2>&1 | grep -ci "no such process"`,
    );
    const [count, ...rest] = result.stdout.trim().split("\n");
    // The first process, its watcher, the command's shell, ls and grep.
    assert.ok(Number(count) <= 5, result.stdout);
    assert.match(result.stderr, /No such file/);
    assert.ok(rest.includes("strace=1"), result.stdout + result.stderr);
    // The seccomp filter refuses ptrace before the kernel would say there is no such process.
    assert.match(
      result.stderr,
      /ptrace\(PTRACE_(SEIZE|ATTACH), \d+\): (No such process|Operation not permitted)/,
    );
    assert.doesNotMatch(result.stdout + result.stderr, /Process \d+ attached|Attaching to/i);
  });
});

Deno.test("sandbox, processes: the sandbox's processes run as an unprivileged host uid", async () => {
  const marker = `uid${crypto.randomUUID().slice(0, 8)}`;
  await withSandbox(home, async (sandbox) => {
    const running = run(home, sandbox, `sleep 5; : ${marker}`, { timeoutMs: 1500 });
    let shells: { pid: number; uid: number }[] = [];
    for (let tries = 0; tries < 50 && shells.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      shells = (await processesWith(marker)).filter((p) => p.args.startsWith("/bin/sh -c sleep"));
    }
    assert.ok(shells.length > 0, "the command's shell was found on the host");
    for (const shell of shells) assert.equal(shell.uid, 65534);
    assert.equal((await running).timedOut, true);
  });
});

Deno.test("sandbox, files: reading devices, kernel memory and block devices fails", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "ls /dev; head -c1 /dev/mem; head -c1 /dev/sda; head -c1 /dev/vda; head -c1 /dev/kmsg",
    );
    assert.doesNotMatch(result.stdout, /^(sda|vda|nvme|mem|kmsg)/m);
  });
});

Deno.test("sandbox, secrets: no limits test output contained the canary", async () => {
  try {
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
