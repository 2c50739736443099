// An unexpected trap in the hypervisor, in every stage: a full dump and a
// non-zero power-off, never a hang.

#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static const char *const stage_dirs[] = {
    "step1-vmxon", "step2-vmcs", "step3-guest", "step4-mem", "step5-devices"};

// Stages whose sources exist must have been built: a missing image is a
// failure here, not a reason to check nothing.
static int stage_built(int n) {
  char src[64], elf[256];
  snprintf(src, sizeof src, "%s/main.c", stage_dirs[n - 1]);
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), n);
  if (access(src, R_OK) != 0)
    return 0;  // this stage does not exist yet
  CHECK(access(elf, R_OK) == 0, "stage %d has sources but no %s", n, elf);
  return access(elf, R_OK) == 0;
}

static void expect_dump(struct qemu_proc *p, int has_h) {
  EXPECT_STATUS(p, 3);
  EXPECT_OUT(p, "scause=0000000000000005 \\(load access fault\\)  "
                "stval=0000000090000000  sepc=0000000080[0-9a-f]{6}");
  if (has_h)
    EXPECT_OUT(p, "^  htval=0000000000000000  htinst=[0-9a-f]{16}  "
                  "hstatus=[0-9a-f]{16}$");
  else
    CHECK(!output_has(p, "htval="), "htval shown on a CPU without H");
  // all 31 registers, by ABI name
  EXPECT_OUT(p, "^ +ra=[0-9a-f]{16} +sp=[0-9a-f]{16} +gp=[0-9a-f]{16} "
                "+tp=[0-9a-f]{16}$");
  EXPECT_OUT(p, "^ +t4=[0-9a-f]{16} +t5=[0-9a-f]{16} +t6=[0-9a-f]{16}$");
  EXPECT_OUT(p, "hv: FAIL: hypervisor panic[^\n]*\n*$");
}

TEST(crash_dumps_in_every_stage) {
  int built = 0;
  for (int n = 1; n <= 5; n++) {
    if (!stage_built(n))
      continue;
    built++;
    expect_dump(boot_stage(n, "crash=hv", 0), 1);
  }
  CHECK(built >= 3, "only %d stages built", built);
}

TEST(crash_dump_without_h) {
  if (stage_built(1))
    expect_dump(boot_stage(1, "crash=hv", 1), 0);
}

// A broken stack pointer must not turn the trap into a silent loop.
TEST(crash_with_broken_sp_still_dumps) {
  if (!stage_built(1))
    return;
  struct qemu_proc *p = boot_stage(1, "crash=sp", 0);
  expect_dump(p, 1);
  EXPECT_OUT(p, "^ +ra=[0-9a-f]{16} +sp=0000000000001000 ");
}

// A bug inside an exit handler, with a guest loaded: the same full dump.
TEST(crash_inside_exit_handler_dumps) {
  if (!stage_built(3))
    return;
  struct qemu_proc *p = boot_stage(3, "guest=seed crash=exit", 0);
  expect_dump(p, 1);
  EXPECT_OUT(p, "^hv: crash=exit: loading from 0x90000000 inside the handler$");
  CHECK(!output_has(p, "probe_arm"), "the dump tripped over its own probe");
}

// poweroff(256) would reach QEMU as 0, a pass (it keeps 8 bits): every
// stage's poweroff turns a status that status.h does not list into 6.
TEST(crash_undocumented_status_is_not_a_pass) {
  for (int n = 1; n <= 5; n++) {
    if (!stage_built(n))
      continue;
    struct qemu_proc *p = boot_stage(n, "crash=status", 0);
    EXPECT_STATUS(p, 6);
    EXPECT_OUT(p, "^hv: poweroff\\(256\\): not a status of hvlab/status.h");
    char re[80];
    snprintf(re, sizeof re,
             "^step%d: FAIL: undocumented power-off status \\(status 6\\)\n*$",
             n);
    CHECK(output_has(p, re), "stage %d: no /%s/", n, re);
  }
}

// The hypervisor overflows its own stack by about 3 KB: the guard below
// the stack takes it, and the stage says so instead of passing.
TEST(crash_hypervisor_stack_overflow_is_reported) {
  for (int n = 1; n <= 5; n++) {
    if (!stage_built(n))
      continue;
    struct qemu_proc *p = boot_stage(n, "crash=stack", 0);
    EXPECT_STATUS(p, 3);
    EXPECT_OUT(p, "^hv: hypervisor stack overflow: the guard below it was "
                  "written [0-9]+ bytes deep$");
    // The last line: stages 1 and 2 print their PASS first, then this.
    char re[80];
    snprintf(re, sizeof re, "^step%d: FAIL: .*\\(status 3\\)\n*$", n);
    CHECK(output_has(p, re), "stage %d: no /%s/", n, re);
  }
}
