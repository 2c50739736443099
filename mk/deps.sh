#!/bin/sh
# Install the Debian packages a make target needs, if any are missing.
# Usage: mk/deps.sh PACKAGE...
# A package written "a|b" is satisfied by either (the first is installed).
# When everything is present, apt is never called.
set -u
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
[ -z "$missing" ] && exit 0

echo "hvlab: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ]; then
  run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run="sudo"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  run="sudo"   # sudo will ask for a password on this terminal
else
  echo "hvlab: cannot install as $(id -un) without sudo. Please run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
# Refresh the package lists (a fresh machine has none), then install.
# Both steps are quiet unless they fail.
log=$(mktemp)
echo "hvlab: apt-get update"
$run apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo "hvlab: apt-get install$missing (this can take a minute)"
# shellcheck disable=SC2086
if ! $run apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
  cat "$log" >&2
  echo "hvlab: apt-get install failed (log above)" >&2
  exit 1
fi
rm -f "$log"
echo "hvlab: installed$missing"
