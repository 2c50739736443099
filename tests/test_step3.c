// Stage 3 under QEMU: guests, hypercall exits, dispatch and the trace.

#include <stdio.h>

#include "harness.h"

TEST(step3_default_guests_pass) {
  struct qemu_proc *p = boot_stage(3, NULL, 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^hv: hypercall #0 from 'seed': args 2 3 3 3$");
  EXPECT_OUT(p, "^hv: guest 'seed' reached a0 = 9 after 10 hypercalls$");
  EXPECT_OUT(p, "^guest\\| hello from a C guest");
  EXPECT_OUT(p, "^hv: guest tests: 9 passed, 0 failed$");
  CHECK(!output_has(p, "^guest\\| FAIL"), "an in-guest test failed");
  EXPECT_OUT(p, "step3: PASS: 2 guest\\(s\\)[^\n]*\n*$");
}

TEST(step3_seed_count_follows_boot_arg) {
  struct qemu_proc *p = boot_stage(3, "guest=seed seed=37", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^hv: hypercall #36 from 'seed'");
  CHECK(!output_has(p, "hypercall #37 "), "seed guest ran past its limit");
  // The trace counted exactly the hypercalls.
  EXPECT_OUT(p, "^hv: exit trace: 37 exits, ecall from VS-mode 37$");
}

TEST(step3_registers_preserved) {
  struct qemu_proc *p = boot_stage(3, "guest=hello", 0);
  EXPECT_OUT(p, "^guest\\| PASS all 31 registers survive an ebreak exit$");
  EXPECT_OUT(p, "^guest\\| PASS all 31 registers survive a hypercall$");
}

TEST(step3_sepc_advances_by_instruction_length) {
  struct qemu_proc *p = boot_stage(3, "guest=hello", 0);
  EXPECT_OUT(p, "ebreak at [0-9a-f]{16} \\(c\\.ebreak\\), skipping 2 bytes");
  EXPECT_OUT(p, "ebreak at [0-9a-f]{16} \\(ebreak\\), skipping 4 bytes");
  EXPECT_OUT(p, "^guest\\| PASS sepc advances by the instruction length");
}

TEST(step3_unknown_sbi_call_not_supported) {
  struct qemu_proc *p = boot_stage(3, "guest=hello", 0);
  EXPECT_OUT(p, "^guest\\| PASS unknown extension gets SBI_ERR_NOT_SUPPORTED$");
  EXPECT_OUT(p, "^guest\\| PASS unknown BASE function gets "
                "SBI_ERR_NOT_SUPPORTED$");
}

TEST(step3_unhandled_exit_dumps_and_fails) {
  struct qemu_proc *p = boot_stage(3, "guest=fault", 0);
  EXPECT_STATUS(p, 4);
  EXPECT_OUT(p, "guest 'fault' failed: unhandled exit: scause 22 \\(virtual "
                "instruction\\)");
  EXPECT_OUT(p, "^  exit information:$");
  EXPECT_OUT(p, "^    cause +0000000000000016  virtual instruction$");
  EXPECT_OUT(p, "^    tval +0000000068002573$");  // csrr a0, hgatp
  // VTSR: stage 3 makes a guest's sret an exit (main.c).
  EXPECT_OUT(p, "^    hstatus +0000000200600180  VSXL=64 VTSR VTW SPVP SPV$");
  EXPECT_OUT(p, "step3: FAIL: a guest failed \\(status 4\\)\n*$");
}

TEST(step3_trace_counts_every_exit) {
  struct qemu_proc *p = boot_stage(3, NULL, 0);
  // The C guest counts its own exits and asks the hypervisor to compare.
  long guest = output_num(p, "guest counted ([0-9]+), trace recorded");
  long traced = output_num(p, "trace recorded ([0-9]+): ok");
  CHECK(guest > 100 && guest == traced, "guest %ld vs trace %ld", guest,
        traced);
  // Per-cause counters add up to the total, and the total to what each
  // guest reported.
  long total = output_num(p, "^hv: exit trace: ([0-9]+) exits");
  long ebreaks = output_num(p, "exits, breakpoint ([0-9]+)");
  long ecalls = output_num(p, "ecall from VS-mode ([0-9]+)$");
  long seed = output_num(p, "guest 'seed' made ([0-9]+) exits");
  long hello = output_num(p, "guest 'hello' made ([0-9]+) exits");
  CHECK(ebreaks == 3, "ebreaks %ld", ebreaks);
  CHECK(total == ebreaks + ecalls, "%ld != %ld + %ld", total, ebreaks, ecalls);
  CHECK(total == seed + hello, "%ld != %ld + %ld", total, seed, hello);
  CHECK(seed == 10, "seed guest made %ld exits", seed);
}

TEST(step3_guest_wfi_is_an_exit_not_a_hang) {
  struct qemu_proc *p = boot_stage(3, "guest=wfi", 0);
  EXPECT_STATUS(p, 4);
  EXPECT_OUT(p, "guest 'wfi' failed: unhandled exit: scause 22 \\(virtual "
                "instruction\\)");
  EXPECT_OUT(p, "^    tval +0000000010500073$");  // the wfi instruction
}

TEST(step3_unknown_guest_is_an_error) {
  struct qemu_proc *p = boot_stage(3, "guest=nosuch", 0);
  EXPECT_STATUS(p, 5);
  EXPECT_OUT(p, "^hv: bad boot argument 'guest=nosuch': no such name "
                "'nosuch'; names are: seed, hello");
  CHECK(!output_has(p, "entering guest"), "a guest ran");
}
