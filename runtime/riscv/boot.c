// From entry.S to the stage's main: the C half of booting.

#include "defs.h"
#include "riscv.h"

u64 boot_hartid;
void *boot_dtb;

// Called by _start (entry.S) on the boot stack, in HS-mode, .bss cleared.
void boot(u64 hartid, void *dtb) {
  boot_hartid = hartid;
  boot_dtb = dtb;
  uart_init();
  trap_init();
  // The hypervisor uses no floating point, so turn the FPU off: a stray FP
  // instruction then traps instead of silently using state nobody saves.
  // It also keeps guests off the FPU (their FP instructions need FS on in
  // both sstatus and vsstatus) until a stage saves and restores FP state.
  csr_clear(sstatus, SSTATUS_FS);
  if (dtb_check(dtb) < 0)
    printf("hv: warning: no valid device tree at %p\n", dtb);

  // "make stepN ARGS=crash=hv" shows what an unexpected trap looks like: a
  // load from an address where the virt machine has nothing (past RAM).
  // crash=sp does the same with a broken stack pointer.
  char buf[8];
  if (bootarg("crash", buf, sizeof buf) && strcmp(buf, "hv") == 0) {
    printf("hv: crash=hv: loading from 0x90000000, where nothing is mapped\n");
    (void)*(volatile u64 *)0x90000000UL;
  } else if (bootarg("crash", buf, sizeof buf) && strcmp(buf, "sp") == 0) {
    printf("hv: crash=sp: the same, with sp = 0x1000\n");
    asm volatile("li sp, 0x1000\n li t0, 0x90000000\n ld t0, 0(t0)" ::: "t0");
  }
  poweroff(stage_main());
}
