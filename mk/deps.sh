#!/bin/sh
# Install the Debian packages a make target needs, if any are missing.
# Usage: mk/deps.sh PACKAGE...
# A package written "a|b" is satisfied by either (the first is installed).
# When everything is present, apt is never called.
set -u

# Sets $missing to the packages (first choices) that are not installed.
find_missing() {
  missing=""
  for spec in "$@"; do
    ok=""
    for p in $(echo "$spec" | tr '|' ' '); do
      if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        ok=1; break
      fi
    done
    [ -n "$ok" ] || missing="$missing ${spec%%|*}"
  done
}

find_missing "$@"
[ -z "$missing" ] && exit 0

# Under make -j several of us can get here at once, and apt allows one at a
# time: take turns, then look again (another may have installed ours).
lock="${TMPDIR:-/tmp}/hvlab-deps-$(id -u).lock"
if command -v flock >/dev/null 2>&1 && exec 9>"$lock"; then
  flock 9
  find_missing "$@"
  [ -z "$missing" ] && exit 0
fi

echo "hvlab: installing missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
  run="env DEBIAN_FRONTEND=noninteractive"
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
  # (sudo asks for a password on this terminal if it needs one.) env keeps
  # debconf quiet: sudo's env_reset would drop DEBIAN_FRONTEND.
  run="sudo env DEBIAN_FRONTEND=noninteractive"
else
  echo "hvlab: cannot install as $(id -un) without sudo. Please run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
# Refresh the package lists (a fresh machine has none), then install.
# Both steps are quiet unless they fail.
log=$(mktemp)
echo "hvlab: apt-get update"
$run apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
echo "hvlab: apt-get install$missing (this can take a minute)"
# shellcheck disable=SC2086
if ! $run apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "hvlab: apt-get install failed (log above)" >&2
  exit 1
fi
rm -f "$log"
echo "hvlab: installed$missing"
