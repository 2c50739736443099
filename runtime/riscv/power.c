// Ending a run. QEMU's virt machine has a "sifive_test" device: one 32-bit
// write powers the machine off, and QEMU exits with the status we give.
// That is how `make stepN`, the tests and the grader learn how a run ended
// without waiting for a timeout.

#include "defs.h"
#include "memlayout.h"

void poweroff(int status) {
  volatile u32 *test = (volatile u32 *)SIFIVE_TEST;
  if (status == 0)
    *test = SIFIVE_TEST_PASS;
  else
    *test = SIFIVE_TEST_FAIL | ((u32)status << 16);
  // Not reached under QEMU. On a machine without the device, stop here.
  for (;;)
    asm volatile("wfi");
}
