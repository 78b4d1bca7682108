/**
 * The escape suite, exec side: hostile commands through the real bubblewrap sandbox. They run;
 * they just run where the outside does not exist. Run as root (the sandbox drops to uid 65534)
 * and, by escape_unprivileged_test.ts, again as uid 65534 itself. escape_fs_test.ts holds the
 * file-tool side. Every output is recorded; the last test checks the canary never appeared.
 */
import assert from "node:assert/strict";
import { makeHome, quote, run, withSandbox } from "./_fixture.ts";

const home = await makeHome();
const SANDBOX_TOP = new Set(
  ["bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr", "work"],
);
const relativeToWorkspace = (path: string) => `../${path.slice(home.dir.length + 1)}`;

Deno.test("sandbox, files: exec sees the sandbox's own /etc/passwd, not the host's", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, "cat /etc/passwd; ls /etc");
    assert.match(result.stdout, /^sandbox:x:65534:65534:/m);
    assert.doesNotMatch(result.stdout, /^(daemon|bin|sys|www-data|nobody):/m);
    assert.doesNotMatch(result.stdout, /shadow|ssh|sudoers/);
  });
});

Deno.test("sandbox, files: exec cannot reach /root, the host home or the host canary by absolute path", async () => {
  await withSandbox(home, async (sandbox) => {
    for (const path of ["/root", home.dir, home.canaryFile, home.identityKey, "/etc/shadow"]) {
      const result = await run(home, sandbox, `ls -la ${quote(path)}; cat ${quote(path)}`);
      assert.match(result.stderr, /No such file or directory/, path);
    }
  });
});

Deno.test("sandbox, files: exec cannot climb out with .. from /work or /tmp", async () => {
  await withSandbox(home, async (sandbox) => {
    const relative = relativeToWorkspace(home.canaryFile);
    const result = await run(
      home,
      sandbox,
      `cat ${quote(relative)}; cat /work/../../../${quote(home.canaryFile)}; cd /work/.. && ls`,
    );
    assert.match(result.stderr, /No such file/);
    const top = result.stdout.trim().split("\n");
    assert.ok(top.includes("work") && top.includes("usr"), result.stdout);
    for (const name of top) assert.ok(SANDBOX_TOP.has(name), `unexpected /${name} in the sandbox`);
  });
});

Deno.test("sandbox, processes: shell chaining, substitution and env sh -c all run inside the box", async () => {
  await withSandbox(home, async (sandbox) => {
    const target = quote(home.canaryFile);
    for (
      const command of [
        `echo first; cat ${target}`,
        `true && cat ${target}`,
        `echo x | cat ${target} -`,
        `echo "$(cat ${target})"`,
        `echo \`cat ${target}\``,
        `env sh -c ${quote(`cat ${home.canaryFile}`)}`,
        `/bin/sh -c ${quote(`cat ${home.canaryFile} || echo ran-inside`)}`,
      ]
    ) {
      const result = await run(home, sandbox, command);
      assert.ok(!result.stdout.includes(home.canary), command);
    }
    const last = await run(
      home,
      sandbox,
      `sh -c ${quote(`cat ${home.canaryFile} || echo inside`)}`,
    );
    assert.match(last.stdout, /inside/);
  });
});

Deno.test("sandbox, secrets: exec gets a clean environment: no secrets of the parent", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(home, sandbox, "env; echo ---; tr '\\0' '\\n' < /proc/1/environ");
    for (const [name, value] of Object.entries(home.secrets)) {
      assert.ok(!result.stdout.includes(name), name);
      assert.ok(!result.stdout.includes(value), name);
    }
    assert.match(result.stdout, /^HOME=\/work$/m);
    assert.match(result.stdout, /^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
  });
});

Deno.test("sandbox, files: exec cannot write outside the workspace", async () => {
  await withSandbox(home, async (sandbox) => {
    const attempts = [
      "echo x > /tmp/../host-canary",
      "echo x > /work/../x",
      "echo x > /usr/x",
      "echo x > /etc/x",
      `echo x > ${quote(`${home.dir}/planted`)}`,
      "mkdir /newdir",
      "touch /proc/x",
    ];
    const result = await run(home, sandbox, attempts.map((a) => `${a}; echo $?`).join("; "));
    assert.ok(!result.stdout.trim().split("\n").includes("0"), result.stdout + result.stderr);
    for (const path of [`${home.dir}/planted`, `${home.dir}/x`, "/host-canary", "/newdir"]) {
      await assert.rejects(Deno.lstat(path), Deno.errors.NotFound, path);
    }
  });
});

Deno.test("sandbox, files: exec cannot edit a soul file or the identity key", async () => {
  await withSandbox(home, async (sandbox) => {
    const before = await Deno.readTextFile(home.soulFile);
    const result = await run(
      home,
      sandbox,
      `echo pwned >> ${quote(home.soulFile)}; echo pwned >> ${
        quote(relativeToWorkspace(home.soulFile))
      }; rm -f ${quote(home.identityKey)}`,
    );
    assert.notEqual(result.stderr, "");
    assert.equal(await Deno.readTextFile(home.soulFile), before);
    assert.ok((await Deno.stat(home.identityKey)).isFile);
  });
});

Deno.test("class 3, planted files that run code: exec cannot plant a git hook: .git is read-only inside", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "echo evil > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; mv .git g2; " +
        "rm -rf .git; echo '[core]' >> .git/config; ls .git",
    );
    assert.match(result.stderr, /Read-only file system/);
    assert.match(result.stdout, /hooks/);
    const hooks = [...Deno.readDirSync(`${sandbox.workspace}/.git/hooks`)];
    assert.deepEqual(hooks, []);
    assert.equal(await Deno.readTextFile(`${sandbox.workspace}/.git/config`), "");
  }, {
    setup: async (workspace) => {
      await Deno.mkdir(`${workspace}/.git/hooks`, { recursive: true });
      await Deno.writeTextFile(`${workspace}/.git/config`, "");
    },
  });
});

Deno.test("sandbox, network: exec cannot reach the host's loopback, nor any network", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(`reached ${home.canary}`),
  );
  const port = server.addr.port;
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected'; ` +
        `curl -sS --max-time 3 http://127.0.0.1:${port}/; ` +
        `curl -sS --max-time 3 http://[::1]:${port}/; curl -sS --max-time 3 http://1.1.1.1/; ` +
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1",
    );
    assert.doesNotMatch(result.stdout, /connected|reached/);
    assert.match(result.stderr, /Connection refused|Couldn't connect|unreachable/);
    assert.deepEqual(result.stdout.trim().split(/\s+/), ["lo"]);
  });
});

Deno.test("sandbox, namespaces: exec cannot create a nested user namespace", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "unshare -U true; echo $?; unshare -r id; echo $?; bwrap --ro-bind / / true; echo $?",
    );
    assert.deepEqual(result.stdout.trim().split("\n"), ["1", "1", "1"]);
  });
});

Deno.test("sandbox, namespaces: exec cannot mount, chroot or use capabilities", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "mount -t tmpfs none /tmp; echo mount=$?; /usr/sbin/chroot / true; echo chroot=$?; " +
        "grep CapEff /proc/self/status; ls /sys 2>&1 | head -1",
    );
    assert.match(result.stdout, /mount=(1|32)\n/);
    assert.doesNotMatch(result.stdout, /chroot=0/);
    assert.match(result.stdout, /CapEff:\s+0000000000000000/);
  });
});

Deno.test("sandbox, namespaces: /proc/self/root and /proc/1/root lead to the sandbox's root, not the host's", async () => {
  await withSandbox(home, async (sandbox) => {
    const target = quote(home.canaryFile);
    const result = await run(
      home,
      sandbox,
      // pid 1 is exec's own first process, hidden under an empty /proc/1.
      `cat /proc/self/root${target}; cat /proc/1/root${target}; ls /proc/self/root/; ` +
        "ls /proc/self/root/work/..; ls /proc/1/root/",
    );
    assert.match(result.stderr, /No such file/);
    for (const name of result.stdout.trim().split("\n")) assert.ok(SANDBOX_TOP.has(name), name);
  });
});

Deno.test("sandbox, files: exec cannot make a hard link to a host file", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      `ln ${quote(home.canaryFile)} a; echo $?; ln /etc/passwd b; echo $?; ln /usr/bin/env c; ` +
        "echo $?; ls",
    );
    assert.deepEqual(result.stdout.trim().split("\n"), ["1", "1", "1"]);
  });
});

Deno.test("sandbox, secrets: exec cannot find the identity key anywhere in its view", async () => {
  await withSandbox(home, async (sandbox) => {
    const result = await run(
      home,
      sandbox,
      "find / -xdev \\( -name agent.key -o -name SOUL.md -o -name canary.txt \\) 2>/dev/null; " +
        `grep -rl ${quote(home.canary)} /work /tmp /etc 2>/dev/null; echo done`,
    );
    assert.equal(result.stdout, "done\n");
  });
});

Deno.test("sandbox, secrets: no exec output ever contained the canary or a secret", async () => {
  try {
    assert.ok(home.seen.length > 40, `only ${home.seen.length} results were recorded`);
    for (const text of home.seen) {
      assert.ok(!text.includes(home.canary), `the canary leaked: ${text.slice(0, 300)}`);
    }
  } finally {
    await home[Symbol.asyncDispose]();
  }
});
