// From entry.S to the stage's main: the C half of booting.

#include "bootargs.h"
#include "defs.h"
#include "riscv.h"

u64 boot_hartid;
void *boot_dtb;
const char *boot_crash;  // crash=WORD, or NULL (see the stages' tables)

// Refuse bad boot arguments before anything runs (bootargs.h): the reason,
// the list of what this stage accepts, its FAIL line, status 5.
static void check_bootargs(const char *line) {
  char err[256];
  if (line && *line) {  // echo them, so a quoting problem is visible
    printf("hv: boot arguments: ");
    print_escaped(line, strlen(line));
    printf("\n");
  }
  int r = bootargs_parse(line, stage.args, stage.nargs, err, sizeof err);
  if (r == 0)
    return;
  if (r < 0)
    printf("hv: bad boot argument %s\n", err);
  printf("hv: %s accepts these boot arguments (key=value, separated by "
         "spaces):\n",
         stage.name);
  bootargs_help(stage.args, stage.nargs);
  if (stage.notes)
    printf("%s", stage.notes);
  printf("%s: FAIL: %s (status %d)\n", stage.name,
         r < 0 ? "bad boot arguments, nothing was run"
               : "help asked for, nothing was run",
         EXIT_BAD_ARGS);
  poweroff(EXIT_BAD_ARGS);
}

// crash=stack: use 19 KB of the 16 KB boot stack, then return. The last
// few KB land in the guard below it, which boot() checks at the end.
__attribute__((noinline)) static long deep(long n) {
  volatile char frame[1024];
  frame[0] = (char)n;
  return n == 0 ? frame[0] : deep(n - 1) + frame[0];
}

// Called by _start (entry.S) on the boot stack, in HS-mode, .bss cleared.
void boot(u64 hartid, void *dtb) {
  boot_hartid = hartid;
  boot_dtb = dtb;
  uart_init();
  trap_init();
  integrity_init();  // stack guards, checksum of the code (guard.c)
  // The hypervisor uses no floating point, so turn the FPU off: a stray FP
  // instruction then traps instead of silently using state nobody saves.
  // It also keeps guests off the FPU (their FP instructions need FS on in
  // both sstatus and vsstatus) until a stage saves and restores FP state.
  csr_clear(sstatus, SSTATUS_FS);
  if (dtb_check(dtb) < 0)
    printf("hv: warning: no valid device tree at %p\n", dtb);
  check_bootargs(dtb_bootargs(dtb));

  // "make stepN ARGS=crash=hv" shows what an unexpected trap looks like: a
  // load from an address where the virt machine has nothing (past RAM).
  // crash=sp does the same with a broken stack pointer; crash=status
  // powers off with a status that is not one.
  if (boot_crash && strcmp(boot_crash, "hv") == 0) {
    printf("hv: crash=hv: loading from 0x90000000, where nothing is mapped\n");
    (void)*(volatile u64 *)0x90000000UL;
  } else if (boot_crash && strcmp(boot_crash, "sp") == 0) {
    printf("hv: crash=sp: the same, with sp = 0x1000\n");
    asm volatile("li sp, 0x1000\n li t0, 0x90000000\n ld t0, 0(t0)" ::: "t0");
  } else if (boot_crash && strcmp(boot_crash, "stack") == 0) {
    printf("hv: crash=stack: recursing 19 KB deep on the 16 KB stack\n");
    deep(18);
  } else if (boot_crash && strcmp(boot_crash, "status") == 0) {
    // A status QEMU would truncate to 0 (a pass): poweroff() refuses it.
    printf("hv: crash=status: powering off with status 256\n");
    poweroff(256);
  }
  int status = stage_main();
  // Where the hypervisor stops: anything overwritten on the way? (guard.c)
  if (integrity_check()) {
    printf("%s: FAIL: hypervisor memory was damaged (status %d)\n", stage.name,
           EXIT_HV_PANIC);
    status = EXIT_HV_PANIC;
  }
  poweroff(status);
}
