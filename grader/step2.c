// Stage 2's tests: the vCPU structure and its round trip through the CSRs.

#include "grade.h"
#include "hvlab/csr.h"

// What stage 2's self-test writes into its vCPU before vcpu_load (its
// table in step2-vmcs/main.c), and the bits that must read back so.
static const struct {
  const char *csr;
  uint64_t value, mask;
} loaded[] = {
    {"vsstatus", SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR,
     SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR},
    {"vsie", 0x222, 0x222},
    {"vstvec", 0x80201000, ~0UL},
    {"vsscratch", 0x1122334455667788, ~0UL},
    {"vsepc", 0x80203004, ~1UL},
    {"vscause", 13, ~0UL},
    {"vstval", 0xdeadbeef, ~0UL},
    {"vsatp", (8UL << 60) | 0x80400, ~0UL},
    {"hstatus", HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | HSTATUS_VTSR,
     HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | HSTATUS_VTSR | HSTATUS_VTVM},
    {"hedeleg", 0xb101, 0xb1ff},
    {"hideleg", 0x444, 0x444},
    {"hvip", MIP_VSSIP, 0x444},
    {"hcounteren", 0x7, 0x7},
    {"henvcfg", HENVCFG_STCE, HENVCFG_STCE},
    {"htimedelta", 0x1000, ~0UL},
    {"hgatp", (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | (5UL << 44) | 0x80400,
     ~0UL},
};

// When the stage starts printing its round-trip table, vcpu_load has put
// the test vCPU into the hart: read the CSRs from the hart itself.
static void csrs_loaded(struct probe *pr) {
  if (probe_stop_print(pr, "round trip through the hardware CSRs") < 0)
    return;
  for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++) {
    uint64_t v;
    if (probe_reg(pr, loaded[i].csr, &v) < 0)
      return;
    probe_check(pr, (v & loaded[i].mask) == (loaded[i].value & loaded[i].mask),
                "%s = %#lx in the hart; the vCPU held %#lx (bits %#lx "
                "compared): vcpu_load must write it",
                loaded[i].csr, (unsigned long)v, (unsigned long)loaded[i].value,
                (unsigned long)loaded[i].mask);
  }
}

// One line of the round-trip table: the field, what was written, what
// came back, and "ok".
#define FIELD(name) "^  " name " +wrote [0-9a-f]{16} read [0-9a-f]{16} +ok$"

static const struct gtest tests[] = {
    // The hardware evidence first: every other test needs it.
    {
        .name = "csrs_loaded_gdb",
        .points = 6,
        .about = "gdb: when the round-trip table starts, the hart's VS CSRs "
                 "and H controls hold the test vCPU's 16 values",
        .probe = csrs_loaded,
        .expect = {"^step2: PASS"},
    },
    {
        .name = "roundtrip_fields",
        .points = 6,
        .gate = "csrs_loaded_gdb",
        .about = "every vCPU field (9 VS CSRs, 8 hypervisor controls) comes "
                 "back from the hardware as written",
        .status = ST_OK | ST_FAIL,  // a MISMATCH is the news, not the status
        .expect = {"^round trip through the hardware CSRs:",
                   FIELD("vs\\.vsstatus"), FIELD("vs\\.vsie"),
                   FIELD("vs\\.vstvec"), FIELD("vs\\.vsscratch"),
                   FIELD("vs\\.vsepc"), FIELD("vs\\.vscause"),
                   FIELD("vs\\.vstval"), FIELD("vs\\.vsatp"),
                   FIELD("vs\\.vstimecmp"), FIELD("ctl\\.hstatus"),
                   FIELD("ctl\\.hedeleg"), FIELD("ctl\\.hideleg"),
                   FIELD("ctl\\.hvip"), FIELD("ctl\\.hcounteren"),
                   FIELD("ctl\\.henvcfg"), FIELD("ctl\\.htimedelta"),
                   FIELD("ctl\\.hgatp")},
        .reject = {"MISMATCH", "PANIC"},
    },
    {
        .name = "pass",
        .points = 4,
        .gate = "csrs_loaded_gdb",
        .about = "dumps a fresh vCPU, ends with the PASS line and status 0",
        .expect = {"^step2: the vCPU control structure",
                   "^a fresh vCPU:", "^vcpu 'selftest' \\(ready\\)",
                   "^step2: PASS: [0-9]+ fields round-trip"},
        .reject = {"PANIC", "FAIL"},
    },
    {
        .name = "without_h",
        .points = 2,
        .gate = "csrs_loaded_gdb",
        .about = "on a CPU without H: stops plainly with status 2 before "
                 "touching any H CSR",
        .no_h = 1,
        .status = ST_NO_H,
        .expect = {"no H extension"},
        .reject = {"PANIC", "round trip", "^step2: PASS"},
    },
    {
        .name = "crash_dump",
        .points = 2,
        .gate = "csrs_loaded_gdb",
        .about = "an unexpected trap (crash=hv) still dumps and powers off "
                 "with status 3",
        .append = "crash=hv",
        .status = ST_PANIC,
        .expect = {"PANIC: unexpected trap in the hypervisor",
                   "scause=0000000000000005 \\(load access fault\\)",
                   "^ +t4=[0-9a-f]{16} +t5=[0-9a-f]{16} +t6=[0-9a-f]{16}$",
                   "FAIL: hypervisor panic"},
    },
};

GRADE_STAGE(2, "step2-vmcs", "the vCPU control structure (a software VMCS)",
            tests);
