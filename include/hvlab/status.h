// Exit statuses of a stage run. QEMU's sifive_test device turns the
// hypervisor's poweroff(n) into QEMU's own exit status n, so make, the
// tests, the grader and the monitor all read the same numbers.
//
// Shared interface: plain #defines, for the hypervisor and the host tools.
#pragma once

#define EXIT_OK 0
#define EXIT_FAIL 1         // a self-test or a guest reported failure
#define EXIT_NO_H 2         // the CPU has no H extension
#define EXIT_HV_PANIC 3     // the hypervisor itself trapped unexpectedly
#define EXIT_GUEST_ERROR 4  // unhandled guest exit or refused entry
