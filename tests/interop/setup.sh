#!/usr/bin/env bash
# Makes the foreign agents of tests/interop runnable, from the registries alone, under
# .tmp/interop of the checkout: a Python venv with kafka-python (python-snappy to read snappy),
# cryptography and jsonschema from PyPI, and the Go agent (every .go file of its package) built
# from the Go module proxy into go-agent-<hash of its source>, so a changed source builds once and
# an unchanged one never again. Prints the two paths, one a line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/interop"
out="${KAFCLAW_INTEROP_DIR:-$root/.tmp/interop}"
mkdir -p "$out"

venv="$out/venv"
# Made again whenever requirements.txt changes (the stamp holds the hash it was made from).
wanted="$(sha256sum "$here/python/requirements.txt" | cut -c1-16)"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$wanted" ] || [ ! -x "$venv/bin/python" ]; then
  echo "interop: making $venv (kafka-python, python-snappy, cryptography, jsonschema)" >&2
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/python/requirements.txt" >&2
  echo "$wanted" >"$venv/.requirements"
fi

hash="$(cat "$here/go/go.mod" "$here/go/go.sum" "$here"/go/*.go | sha256sum | cut -c1-16)"
agent="$out/go-agent-$hash"
if [ ! -x "$agent" ]; then
  echo "interop: building the Go agent into $agent" >&2
  (cd "$here/go" && GOMODCACHE="$out/gomod" GOFLAGS="-modcacherw -mod=readonly" \
    go build -o "$agent.partial" .)
  mv "$agent.partial" "$agent"
fi
echo "$venv/bin/python"
echo "$agent"
