// Stage 1's tests: detecting and enabling the H extension.

#include "grade.h"

// At the moment the stage prints its PASS line, h_setup has written the
// delegation CSRs: read them from the hart itself, not from the report.
static void csrs_at_pass(struct probe *pr) {
  if (probe_stop_print(pr, "step1: PASS") < 0)
    return;
  uint64_t hedeleg, hideleg, hcounteren, henvcfg;
  if (probe_reg(pr, "hedeleg", &hedeleg) < 0 ||
      probe_reg(pr, "hideleg", &hideleg) < 0 ||
      probe_reg(pr, "hcounteren", &hcounteren) < 0 ||
      probe_reg(pr, "henvcfg", &henvcfg) < 0)
    return;
  probe_check(pr, hedeleg == 0xb101,
              "hedeleg = %#lx; expected 0xb101: the guest takes its own "
              "misaligned fetches (0), ecalls from VU (8) and page faults "
              "(12, 13, 15), and nothing else",
              (unsigned long)hedeleg);
  probe_check(pr, hideleg == 0x444,
              "hideleg = %#lx; expected 0x444: the VS software, timer and "
              "external interrupts (2, 6, 10)",
              (unsigned long)hideleg);
  probe_check(pr, hcounteren == 7,
              "hcounteren = %#lx; expected 0x7: cycle, time and instret",
              (unsigned long)hcounteren);
  probe_check(pr, henvcfg >> 63,
              "henvcfg.STCE = %lu; expected 1: this CPU has Sstc, so the "
              "guest may use vstimecmp",
              (unsigned long)(henvcfg >> 63));
}

static const struct gtest tests[] = {
    // The hardware evidence first: every other test needs it.
    {
        .name = "delegation_csrs_gdb",
        .points = 4,
        .about = "gdb: when it prints PASS, the hart's hedeleg, hideleg, "
                 "hcounteren and henvcfg hold those values",
        .probe = csrs_at_pass,
        .expect = {"^step1: PASS"},
    },
    {
        .name = "h_detected",
        .points = 4,
        .gate = "delegation_csrs_gdb",
        .about = "finds the H extension by probe and in the device tree, "
                 "and reports VSXL, VMID bits and the writable delegation "
                 "bits",
        .expect = {"^step1: turning on virtualization",
                   "^  H by probe +: yes \\(csrr hstatus = [0-9a-f]{16}\\)",
                   "^  H in isa +: yes", "^  VSXL +: 2 ",
                   "^  VMID bits +: [0-9]+ ",
                   "^  hedeleg +: [0-9a-f]{16} writable",
                   "^  hideleg +: [0-9a-f]{16} writable", "^step1: PASS"},
        .reject = {"PANIC", "disagree"},
    },
    {
        .name = "delegation",
        .points = 4,
        .gate = "delegation_csrs_gdb",
        .about = "reports the delegation and counter CSRs it set: hedeleg "
                 "b101, hideleg 444, hcounteren 7, henvcfg STCE",
        .expect = {"^setting the hypervisor CSRs",
                   "^  hedeleg += 000000000000b101 ",
                   "^  hideleg += 0000000000000444 ",
                   "^  hcounteren += 0000000000000007 ",
                   "^  henvcfg += 8000000000000000 ", "^step1: PASS"},
        .reject = {"PANIC"},
    },
    {
        .name = "without_h",
        .points = 4,
        .gate = "delegation_csrs_gdb",
        .about = "on a CPU without H: says so plainly and powers off with "
                 "status 2, no crash",
        .no_h = 1,
        .status = ST_NO_H,
        .expect = {"^step1: turning on virtualization",
                   "^  H by probe +: no \\(csrr hstatus trapped: scause 2, "
                   "illegal instruction\\)",
                   "^  H in isa +: no", "no H extension"},
        .reject = {"PANIC", "scause=", "^step1: PASS", "^  VSXL"},
    },
    {
        .name = "crash_dump",
        .points = 4,
        .gate = "delegation_csrs_gdb",
        .about = "an unexpected trap (crash=hv) dumps scause, stval, sepc, "
                 "the H CSRs and all registers, then powers off with "
                 "status 3",
        .append = "crash=hv",
        .status = ST_PANIC,
        .expect = {"crash=hv: loading from 0x90000000",
                   "PANIC: unexpected trap in the hypervisor",
                   "scause=0000000000000005 \\(load access fault\\) +"
                   "stval=0000000090000000 +sepc=[0-9a-f]{16}",
                   "htval=[0-9a-f]{16} +htinst=[0-9a-f]{16} +"
                   "hstatus=[0-9a-f]{16}",
                   "^ +ra=[0-9a-f]{16} +sp=[0-9a-f]{16} +gp=[0-9a-f]{16} +"
                   "tp=[0-9a-f]{16}$",
                   "^ +t4=[0-9a-f]{16} +t5=[0-9a-f]{16} +t6=[0-9a-f]{16}$",
                   "FAIL: hypervisor panic"},
        .reject = {"^step1: PASS"},
    },
};

GRADE_STAGE(1, "step1-vmxon", "turning on virtualization (the H extension)",
            tests);
