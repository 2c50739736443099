// Stage 1 under QEMU: with and without the H extension.

#include "harness.h"

TEST(step1_detects_h) {
  struct qemu_proc *p = boot_stage(1, NULL, 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "H by probe +: yes \\(csrr hstatus = 0000000200000000\\)");
  EXPECT_OUT(p, "H in isa +: yes");
  EXPECT_OUT(p, "VSXL +: 2 ");
  EXPECT_OUT(p, "VMID bits +: 14 ");
  EXPECT_OUT(p, "hedeleg +: 000000000000b1ff writable");
  EXPECT_OUT(p, "hideleg +: 0000000000000444 writable");
  EXPECT_OUT(p, "Sstc +: yes in isa");
  // What it set must be within what the hardware accepts, and say so.
  EXPECT_OUT(p, "^  hedeleg += 000000000000b101 ");
  EXPECT_OUT(p, "^  hideleg += 0000000000000444 ");
  EXPECT_OUT(p, "^  hcounteren += 0000000000000007 ");
  EXPECT_OUT(p, "^  henvcfg += 8000000000000000 ");
  EXPECT_OUT(p, "step1: PASS[^\n]*\n*$");
}

TEST(step1_without_h_fails_plainly) {
  struct qemu_proc *p = boot_stage(1, NULL, 1);
  EXPECT_STATUS(p, 2);
  EXPECT_OUT(p, "H by probe +: no \\(csrr hstatus trapped: scause 2, "
                "illegal instruction\\)");
  EXPECT_OUT(p, "H in isa +: no");
  EXPECT_OUT(p, "no H extension");
  CHECK(!output_has(p, "PANIC"), "a missing H must not look like a crash");
  CHECK(p->seconds < 20, "took %.1fs: looks like a trap loop", p->seconds);
}
