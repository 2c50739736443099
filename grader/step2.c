// Stage 2's tests: the vCPU structure and its round trip through the CSRs.

#include "grade.h"

// One line of the round-trip table: the field, what was written, what
// came back, and "ok".
#define FIELD(name) "^  " name " +wrote [0-9a-f]{16} read [0-9a-f]{16} +ok$"

static const struct gtest tests[] = {
    {
        .name = "roundtrip_fields",
        .points = 10,
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
        .about = "dumps a fresh vCPU, ends with the PASS line and status 0",
        .expect = {"^step2: the vCPU control structure",
                   "^a fresh vCPU:", "^vcpu 'selftest' \\(ready\\)",
                   "^step2: PASS: [0-9]+ fields round-trip"},
        .reject = {"PANIC", "FAIL"},
    },
    {
        .name = "without_h",
        .points = 3,
        .about = "on a CPU without H: stops plainly with status 2 before "
                 "touching any H CSR",
        .no_h = 1,
        .status = ST_NO_H,
        .expect = {"no H extension"},
        .reject = {"PANIC", "round trip", "^step2: PASS"},
    },
    {
        .name = "crash_dump",
        .points = 3,
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
