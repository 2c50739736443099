#!/bin/sh
# Check that QEMU is new enough for the RISC-V H extension (7.0 or later).
q=${1:-qemu-system-riscv64}
v=$($q --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
if [ -z "$v" ]; then
  echo "hvlab: cannot run $q (is qemu-system-misc installed? try: make deps)" >&2
  exit 1
fi
set -- $v
if [ "$1" -lt 7 ]; then
  echo "hvlab: $q is version $1.$2; the H extension needs QEMU 7.0 or later." >&2
  exit 1
fi
