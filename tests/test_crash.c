// An unexpected trap in the hypervisor, in every stage: a full dump and a
// non-zero power-off, never a hang.

#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static void crash_stage(int n, int no_h) {
  char elf[256];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), n);
  if (access(elf, R_OK) != 0)
    return;  // stage not built yet
  struct qemu_proc *p = boot_stage(n, "crash=hv", no_h);
  EXPECT_STATUS(p, 3);
  EXPECT_OUT(p, "scause=0000000000000005 \\(load access fault\\)  "
                 "stval=0000000090000000  sepc=0000000080[0-9a-f]{6}");
  if (no_h)
    CHECK(!output_has(p, "htval="), "htval shown on a CPU without H");
  else
    EXPECT_OUT(p, "htval=0000000000000000 ");
  // all 31 registers, by ABI name
  EXPECT_OUT(p, "^ +ra=[0-9a-f]{16} +sp=[0-9a-f]{16} +gp=[0-9a-f]{16} "
                 "+tp=[0-9a-f]{16}$");
  EXPECT_OUT(p, "^ +t4=[0-9a-f]{16} +t5=[0-9a-f]{16} +t6=[0-9a-f]{16}$");
  EXPECT_OUT(p, "hv: FAIL: hypervisor panic[^\n]*\n*$");
}

TEST(crash_dumps_in_every_stage) {
  for (int n = 1; n <= 5; n++)
    crash_stage(n, 0);
}

TEST(crash_dump_without_h) { crash_stage(1, 1); }
