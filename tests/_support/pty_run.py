"""Runs a command in a pseudo terminal and talks to it as a person would (tests/_support/pty.ts).

Usage: python3 pty_run.py STEPS_JSON -- COMMAND ARGS...

STEPS_JSON is a list of [pattern, text]: wait until the output since the last step, without its
escape sequences, matches the regular expression `pattern` (at most 60 s), then type `text`. After the last step the output
is read until the command exits. Prints one JSON object: {"code": N, "output": "...", "failed":
null or the pattern that never came}.
"""

import json
import os
import pty
import re
import select
import sys
import time

STEP_TIMEOUT = 60.0
# Colours and cursor moves: patterns are matched against the text without them.
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def main() -> None:
    steps = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    seen = 0
    failed = None

    def read(deadline: float) -> bool:
        nonlocal output
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        output += chunk
        return True

    alive = True
    for pattern, text in steps:
        deadline = time.monotonic() + STEP_TIMEOUT
        regex = re.compile(pattern.encode(), re.S)
        while not regex.search(ESCAPES.sub(b"", output), seen):
            if time.monotonic() >= deadline or not alive:
                failed = pattern
                break
            alive = read(deadline)
        if failed is not None:
            break
        seen = regex.search(ESCAPES.sub(b"", output), seen).end()
        os.write(fd, text.encode())
    deadline = time.monotonic() + STEP_TIMEOUT
    while alive and time.monotonic() < deadline:
        alive = read(deadline)
    if alive:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"code": code, "output": output.decode("utf-8", "replace"), "failed": failed}))


if __name__ == "__main__":
    main()
