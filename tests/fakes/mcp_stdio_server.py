#!/usr/bin/env python3
"""A stdio MCP server in plain Python (standard library only), as a user would write one.

    python3 tests/fakes/mcp_stdio_server.py

Reads JSON-RPC messages, one a line, on stdin and answers on stdout: `initialize` (with the
protocol version the client asked for), `ping`, `tools/list` and `tools/call`; notifications
get no answer, unknown methods a -32601 error. Tools:

- `shout`: the `text` argument in capitals, with a marker, so a test can find it downstream;
- `whoami`: JSON of the uid, the hostname and the working folder it runs with (inside the
  sandbox the hostname is "sandbox" and, as root on the host, the uid is 65534).

It stops when stdin ends.
"""
import json
import os
import socket
import sys

TOOLS = [
    {
        "name": "shout",
        "description": "Repeats a text in capitals",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    },
    {
        "name": "whoami",
        "description": "Says who and where the server runs",
        "inputSchema": {"type": "object", "properties": {}},
    },
]


def call(name, args):
    if name == "shout":
        return "PY-MCP: " + str(args.get("text", "")).upper()
    if name == "whoami":
        facts = {"uid": os.getuid(), "hostname": socket.gethostname(), "cwd": os.getcwd()}
        return json.dumps(facts, sort_keys=True)
    raise KeyError(name)


def answer(message):
    method = message.get("method")
    params = message.get("params") or {}
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "py-fake", "version": "1.0.0"},
        }
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        try:
            text = call(params.get("name"), params.get("arguments") or {})
        except KeyError:
            return {"content": [{"type": "text", "text": "no such tool"}], "isError": True}
        return {"content": [{"type": "text", "text": text}]}
    return None


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if "id" not in message:
            continue  # a notification
        result = answer(message)
        if result is None:
            error = {"code": -32601, "message": "Method not found"}
            reply = {"jsonrpc": "2.0", "id": message["id"], "error": error}
        else:
            reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
