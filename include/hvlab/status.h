// Exit statuses of a stage run. QEMU's sifive_test device turns the
// hypervisor's poweroff(n) into QEMU's own exit status n, so make, the
// tests, the grader and the monitor all read the same numbers.
//
// Only these statuses are ever powered off with: poweroff() turns any
// other number into EXIT_BAD_STATUS, because QEMU keeps only the low 8
// bits of a status (256 would read as 0, a pass).
//
// Shared interface: plain #defines, for the hypervisor and the host tools.
#pragma once

#define EXIT_OK 0
#define EXIT_FAIL 1      // a self-test or a guest reported failure
#define EXIT_NO_H 2      // the CPU has no H extension
#define EXIT_HV_PANIC 3  // the hypervisor itself trapped unexpectedly
// 4: an unhandled guest exit or a refused entry, or a guest found (when it
// stopped) to have overflowed its stack or written the hypervisor's code.
#define EXIT_GUEST_ERROR 4
#define EXIT_BAD_ARGS 5    // boot arguments refused (or `help`): nothing ran
#define EXIT_BAD_STATUS 6  // poweroff() was given a number not listed here
#define EXIT_TODO 7        // the student edition: a task not written yet
#define EXIT_NSTATUS 8     // statuses are 0 .. EXIT_NSTATUS - 1

#ifndef __ASSEMBLER__
// A few words for each status, for messages ("exit status 5 (bad boot
// arguments)"); NULL for a number that is not a stage status.
static inline const char *hv_status_name(int st) {
  static const char *const names[EXIT_NSTATUS] = {
      [EXIT_OK] = "pass",
      [EXIT_FAIL] = "a check failed",
      [EXIT_NO_H] = "no H extension",
      [EXIT_HV_PANIC] = "hypervisor panic",
      [EXIT_GUEST_ERROR] = "unhandled guest exit",
      [EXIT_BAD_ARGS] = "bad boot arguments",
      [EXIT_BAD_STATUS] = "undocumented power-off status",
      [EXIT_TODO] = "a task not written yet",
  };
  return st >= 0 && st < EXIT_NSTATUS ? names[st] : 0;
}
#endif
