// Stage 3 driver: run guests, handle their exits, report.
//
// Boot arguments (make step3 ARGS="..."), checked by boot() against the
// table below before anything runs; `make step3 ARGS=help` lists them.

#include "bootargs.h"
#include "defs.h"
#include "guest.h"
#include "hext.h"
#include "hvlab/layout.h"
#include "hypercall.h"
#include "riscv.h"
#include "run.h"

static struct vcpu vcpu;
static const char *why;  // for the final FAIL line

static const char *const guest_names[] = {
    "seed", "hello", "fault", "wfi", "bench", "hostile", "image", "demo", NULL};
static const char *const crash_words[] = {"hv",     "sp",   "stack",
                                          "status", "exit", NULL};
static char guests[64] = "seed,hello";
static long iterations = 10000;
// guest=image: a guest someone else put in memory (the grader's, which
// QEMU loads with -device loader), with hgatp=Bare (include/hvlab/layout.h).
static long image = GUEST_IMAGE;
static const char *hostile;  // hostile=NAME: which hostile guest
static const struct bootarg args[] = {
    BOOTARG_LIST("guest", guests, guest_names,
                 "the guests to run, in order (default: seed,hello)"),
    BOOTARG_NUM("seed", &hvlab.seed_limit, 1, 1000000000,
                "hypercalls before the seed guest is stopped (default 10)"),
    BOOTARG_NUM("iterations", &iterations, 1, 1000000000000,
                "null hypercalls of guest=bench (default 10000)"),
    BOOTARG_NUM("image", &image, 0x80200000, 0x87ffff00,
                "where guest=image starts, in decimal (default 2214592512: "
                "0x84000000)"),
    BOOTARG_TABLE("hostile", &hostile, hostile_guests,
                  "the guest guest=hostile runs (guest_hostile.c)"),
    BOOTARG_WORD("crash", &boot_crash, crash_words,
                 "traps (hv, sp, exit: in a handler), overflow, poweroff(256)"),
};
const struct stage_info stage = {
    .name = "step3",
    .args = args,
    .nargs = ARRAY_SIZE(args),
    .notes = "  note: stage 3 has no timer, so no watchdog: a guest that spins "
             "runs until\n"
             "  whoever started QEMU ends it (Ctrl-A X; the tests' and the "
             "grader's timeouts).\n",
    .memory_note = "a guest can write it at stage 3: no G-stage yet",
};

// Is `name` one of the comma-separated names in list?
static int list_has(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == 0))
      return 1;
    while (*p && *p != ',')
      p++;
    if (*p)
      p++;
  }
  return 0;
}

// Run one guest by name; returns its status (0 = clean shutdown).
static int run_guest(const char *name) {
  u64 sp = (u64)guest_stack + GUEST_STACK_SIZE;
  if (strcmp(name, "seed") == 0)
    vcpu_init(&vcpu, "seed", (u64)guest_seed, 0);
  else if (strcmp(name, "hello") == 0)
    vcpu_init(&vcpu, "hello", (u64)guest_hello, sp);
  else if (strcmp(name, "fault") == 0)
    vcpu_init(&vcpu, "fault", (u64)guest_fault, 0);
  else if (strcmp(name, "wfi") == 0)
    vcpu_init(&vcpu, "wfi", (u64)guest_wfi, 0);
  else if (strcmp(name, "image") == 0)
    vcpu_init(&vcpu, "image", (u64)image, 0);
  else if (strcmp(name, "demo") == 0)  // make demo: exits of every kind
    vcpu_init(&vcpu, "demo", (u64)guest_demo, sp), demo_exits_init();
  else if (strcmp(name, "bench") == 0) {
    vcpu_init(&vcpu, "bench", (u64)guest_bench, sp);
    vcpu.x[11] = (u64)iterations;  // a1
  } else {  // "hostile": the boot arguments allow no other name
    const struct hostile_guest *h = hostile_guests;
    while (strcmp(h->name, hostile) != 0)  // boot() checked that it is there
      h++;
    vcpu_init(&vcpu, h->name, (u64)h->entry, sp);
    printf("hv: hostile guest '%s': %s\n", h->name, h->what);
  }
  // No stage 3 guest has a reason to execute sret (none has traps of its
  // own or a user mode), so make it an exit: with hstatus.VTSR the report
  // names the sret and its pc, where without it the guest would jump to
  // vsepc (0) in VU-mode and fail far from the cause. Stage 5's guests
  // return from their own traps, and need VTSR clear.
  vcpu.ctl.hstatus |= HSTATUS_VTSR;
  // Damage found now is the hypervisor's own, not this guest's.
  if (integrity_check()) {
    why = "hypervisor memory was damaged before a guest ran";
    return EXIT_HV_PANIC;
  }
  printf("hv: entering guest '%s' at %016lx\n", vcpu.name, vcpu.pc);
  hvlab.trace_base = exit_trace.total;
  int st = vcpu_loop(&vcpu);
  // Where a guest stops: did it overflow its stack or write over us?
  if (integrity_check()) {
    printf("hv: guest '%s' failed: it damaged memory outside its stack "
           "(above)\n",
           vcpu.name);
    why = "a guest damaged memory outside its stack";
    st = EXIT_GUEST_ERROR;
  }
  printf("hv: guest '%s' made %lu exits\n", vcpu.name,
         exit_trace.total - hvlab.trace_base);
  return st;
}

int stage_main(void) {
  char *list = guests;  // checked by boot(): one or more known names
  if (list_has(list, "hostile") != (hostile != NULL)) {
    printf("hv: bad boot arguments: guest=hostile and hostile=NAME go "
           "together\n");
    printf("step3: FAIL: bad boot arguments, nothing was run (status %d)\n",
           EXIT_BAD_ARGS);
    return EXIT_BAD_ARGS;
  }
  printf("step3: a first guest, and its hypercalls as VM exits\n");
  h_enable(0);
  exits_init();
  hvlab.crash_in_handler = boot_crash && strcmp(boot_crash, "exit") == 0;
  // The C guests' stack gets a guard below it (runtime/riscv/stack.h).
  guard_add("guest stack", guest_stack_guard, GUEST_GUARD_SIZE);

  int status = EXIT_OK, nguests = 0;
  for (char *p = list; *p && status == EXIT_OK;) {
    char *name = p;
    while (*p && *p != ',')
      p++;
    if (*p)
      *p++ = 0;
    status = run_guest(name);
    nguests++;
  }

  trace_summary();
  if (hvlab.tests_passed || hvlab.tests_failed)
    printf("hv: guest tests: %ld passed, %ld failed\n", hvlab.tests_passed,
           hvlab.tests_failed);
  if (status == EXIT_GUEST_ERROR) {
    if (!why)
      why = "a guest failed";
  } else if (hvlab.tests_failed)
    status = EXIT_FAIL, why = "a guest test failed";
  else if (hvlab.count_checks_bad)
    status = EXIT_FAIL, why = "the exit trace missed exits";
  else if (status != EXIT_OK && !why)
    why = "a guest shut down reporting failure";

  if (status == EXIT_OK)
    printf("step3: PASS: %d guest(s) ran and shut down, %lu exits handled\n",
           nguests, exit_trace.total);
  else
    printf("step3: FAIL: %s (status %d)\n", why, status);
  return status;
}
