# Sourced by the scripts in this folder: finds a Deno recent enough for this project, or installs
# the pinned one from npm into the project-local folder .deno/ (ignored by git), and sets $DENO.
# shellcheck shell=bash

KAFCLAW_DENO_VERSION="2.9.6"
KAFCLAW_DENO_MIN="2.9.0"
# The folder above this file's, made absolute without starting a process (the launcher runs often).
KAFCLAW_ROOT="${BASH_SOURCE[0]%/*}"
[ "$KAFCLAW_ROOT" != "${BASH_SOURCE[0]}" ] || KAFCLAW_ROOT=.
[[ "$KAFCLAW_ROOT" == /* ]] || KAFCLAW_ROOT="$PWD/$KAFCLAW_ROOT"
KAFCLAW_ROOT="${KAFCLAW_ROOT//\/.\//\/}"
KAFCLAW_ROOT="${KAFCLAW_ROOT%/.}"
KAFCLAW_ROOT="${KAFCLAW_ROOT%/*}"

# RUST_BACKTRACE makes every Deno error print a Rust backtrace; it is noise for our users.
unset RUST_BACKTRACE

_kafclaw_version_ok() {
  # true when $1 (x.y.z) >= $KAFCLAW_DENO_MIN
  [ "$(printf '%s\n%s\n' "$KAFCLAW_DENO_MIN" "$1" | sort -V | head -n1)" = "$KAFCLAW_DENO_MIN" ]
}

kafclaw_find_deno() {
  local local_deno="$KAFCLAW_ROOT/.deno/node_modules/.bin/deno"
  if [ -n "${KAFCLAW_DENO:-}" ] && [ -x "$KAFCLAW_DENO" ]; then
    DENO="$KAFCLAW_DENO"
    return 0
  fi
  if command -v deno >/dev/null 2>&1; then
    local v
    v="$(deno --version 2>/dev/null | head -n1 | awk '{print $2}')"
    if [ -n "$v" ] && _kafclaw_version_ok "$v"; then
      DENO="$(command -v deno)"
      return 0
    fi
  fi
  if [ -x "$local_deno" ]; then
    DENO="$local_deno"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "kafclaw: Deno >= $KAFCLAW_DENO_MIN is not on PATH and npm is not available to install it" >&2
    echo "kafclaw: install Deno (https://deno.com) or Node.js with npm, then run this again" >&2
    return 1
  fi
  # Always said, on stderr (stdout stays the command's): the download takes a while and happens once.
  echo "kafclaw: first run: downloading Deno $KAFCLAW_DENO_VERSION (about 80 MB) from npm into" \
    "$KAFCLAW_ROOT/.deno; this happens once" >&2
  mkdir -p "$KAFCLAW_ROOT/.deno"
  if ! npm install --silent --no-audit --no-fund --prefix "$KAFCLAW_ROOT/.deno" "deno@$KAFCLAW_DENO_VERSION" >&2; then
    echo "kafclaw: npm could not install deno@$KAFCLAW_DENO_VERSION" >&2
    return 1
  fi
  if [ ! -x "$local_deno" ] || ! "$local_deno" --version >/dev/null 2>&1; then
    echo "kafclaw: the Deno installed from npm does not run on this machine" >&2
    return 1
  fi
  DENO="$local_deno"
}
