# Sourced by scripts/kafclaw for `scripts/kafclaw install [--prefix DIR]`: puts a link named
# `kafclaw` to the launcher of this checkout into DIR (default ~/.local/bin), checks that DIR is on
# PATH (or says the line that puts it there) and that no other `kafclaw` comes first, and makes
# sure the Deno the launcher runs is there, so that the first real command does not wait for it.
# shellcheck shell=bash

_kafclaw_install_usage() {
  echo "usage: scripts/kafclaw install [--prefix DIR]   (default DIR: ~/.local/bin)" >&2
}

# kafclaw_install [--prefix DIR]
kafclaw_install() {
  local prefix="" launcher shadow
  while [ $# -gt 0 ]; do
    case "$1" in
      --prefix=*) prefix="${1#--prefix=}" && shift ;;
      --prefix)
        prefix="${2:-}"
        shift $(($# < 2 ? 1 : 2))
        ;;
      -h | --help)
        _kafclaw_install_usage 2>&1
        return 0
        ;;
      *)
        echo "kafclaw install: unknown argument \"$1\"" >&2
        _kafclaw_install_usage
        return 2
        ;;
    esac
    [ "$prefix" != "" ] || {
      echo "kafclaw install: --prefix needs a folder" >&2
      return 2
    }
  done
  launcher="$(cd -P "$KAFCLAW_ROOT" && pwd)/scripts/kafclaw"
  if [ -z "$prefix" ]; then
    [ -n "${HOME:-}" ] || {
      echo "kafclaw install: HOME is not set; name the folder with --prefix DIR" >&2
      return 2
    }
    prefix="$HOME/.local/bin"
  fi
  [[ "$prefix" == /* ]] || prefix="$PWD/$prefix"
  prefix="${prefix%/}"
  local link="$prefix/kafclaw"
  if { [ -e "$link" ] && ! [ -L "$link" ]; } || [ -d "$link" ]; then
    echo "kafclaw install: $link exists and is not a link; move it away first" >&2
    return 1
  fi
  if ! mkdir -p "$prefix" 2>/dev/null || ! [ -w "$prefix" ]; then
    echo "kafclaw install: cannot write to $prefix; choose another folder with --prefix DIR" >&2
    return 1
  fi
  # A new link beside the old one, then renamed over it: `kafclaw` is never missing.
  ln -sfn "$launcher" "$link.$$" && mv -f "$link.$$" "$link" || {
    rm -f "$link.$$"
    echo "kafclaw install: cannot make the link $link" >&2
    return 1
  }
  echo "kafclaw install: $link -> $launcher"
  kafclaw_find_deno || return 1
  case ":${PATH:-}:" in
    *":$prefix:"*)
      shadow="$(type -P kafclaw || true)"
      if [ -n "$shadow" ] && ! [ "$shadow" -ef "$link" ]; then
        echo "kafclaw install: $shadow comes before $link on PATH; remove it, or put $prefix first"
      else
        echo "kafclaw install: done; kafclaw is on PATH (try: kafclaw onboard)"
      fi
      ;;
    *)
      echo "kafclaw install: $prefix is not on PATH; add this line to your shell's start file" \
        "(~/.bashrc, ~/.zshrc or ~/.profile), then open a new terminal:"
      echo "  export PATH=\"$prefix:\$PATH\""
      ;;
  esac
}
