// From entry.S to the stage's main: the C half of booting.

#include "defs.h"

u64 boot_hartid;
void *boot_dtb;

// Called by _start (entry.S) on the boot stack, in HS-mode, .bss cleared.
void boot(u64 hartid, void *dtb) {
  boot_hartid = hartid;
  boot_dtb = dtb;
  uart_init();
  trap_init();
  if (dtb_check(dtb) < 0)
    printf("hv: warning: no valid device tree at %p\n", dtb);

  // "make stepN ARGS=crash=hv" shows what an unexpected trap looks like: a
  // load from an address where the virt machine has nothing (past RAM).
  char buf[8];
  if (bootarg("crash", buf, sizeof buf) && strcmp(buf, "hv") == 0) {
    printf("hv: crash=hv: loading from 0x90000000, where nothing is mapped\n");
    (void)*(volatile u64 *)0x90000000UL;
  }
  poweroff(stage_main());
}
