// Stage 1 driver: detect H, report it, turn it on, power off.

#include "bootargs.h"
#include "defs.h"
#include "hext.h"

// The boot arguments stage 1 accepts (bootargs.h); boot() checks them.
static const char *const crash_words[] = {"hv", "sp", "stack", "status", NULL};
static const struct bootarg args[] = {
    BOOTARG_WORD("crash", &boot_crash, crash_words,
                 "hypervisor traps (hv, sp), overflow (stack), poweroff(256)"),
};
const struct stage_info stage = {"step1", args, ARRAY_SIZE(args), NULL, NULL};

int stage_main(void) {
  printf("step1: turning on virtualization (RISC-V H extension)\n");
  h_enable(1);  // powers off with EXIT_NO_H if there is no H
  printf("step1: PASS: H extension present and configured\n");
  return EXIT_OK;
}
