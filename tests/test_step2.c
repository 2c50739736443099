// Stage 2 under QEMU: the software VMCS round-trips through the CSRs.

#include "harness.h"

TEST(step2_vcpu_round_trip) {
  struct qemu_proc *p = boot_stage(2, NULL, 0);
  EXPECT_STATUS(p, 0);
  // The dump names the fields and decodes hstatus.
  EXPECT_OUT(p, "^    hstatus +0000000200200180  VSXL=64 VTW SPVP SPV$");
  EXPECT_OUT(p, "^    hedeleg +000000000000b101$");
  // Every field comes back as written.
  EXPECT_OUT(p,
             "vs.vsscratch +wrote 1122334455667788 read 1122334455667788  ok");
  EXPECT_OUT(p, "ctl.hgatp +wrote 8000500000080400 read 8000500000080400  ok");
  CHECK(!output_has(p, "MISMATCH"), "a field did not survive the round trip");
  EXPECT_OUT(p, "step2: PASS: 17 fields round-trip[^\n]*\n*$");
}

TEST(step2_without_h_stops_plainly) {
  struct qemu_proc *p = boot_stage(2, NULL, 1);
  EXPECT_STATUS(p, 2);
  EXPECT_OUT(p, "FAIL: this CPU has no H extension");
}
