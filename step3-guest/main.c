// Stage 3 driver: run guests, handle their exits, report.
//
// Boot arguments (make step3 ARGS="..."):
//   guest=seed,hello   which guests to run, in order (the default)
//         fault        a guest with an exit stage 3 cannot handle
//         wfi          a guest that waits for an interrupt (never comes)
//         bench        the null-hypercall benchmark (see guest_bench.c)
//   seed=N             hypercalls before the seed guest is stopped (10)
//   iterations=N       round trips for the benchmark (10000)
//   crash=exit         a bug in an exit handler: the panic dump, status 3

#include "defs.h"
#include "guest.h"
#include "hext.h"
#include "hypercall.h"
#include "run.h"

static struct vcpu vcpu;
static const char *why;  // for the final FAIL line

// Parse a decimal boot argument, or return `dflt`.
static long arg_num(const char *key, long dflt) {
  char buf[24];
  if (!bootarg(key, buf, sizeof buf) || buf[0] < '0' || buf[0] > '9')
    return dflt;
  long v = 0;
  for (char *p = buf; *p >= '0' && *p <= '9'; p++)
    v = v * 10 + (*p - '0');
  return v;
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
  else if (strcmp(name, "bench") == 0) {
    vcpu_init(&vcpu, "bench", (u64)guest_bench, sp);
    long n = arg_num("iterations", 10000);
    if (n < 1) {
      printf("hv: iterations must be at least 1\n");
      why = "bad boot argument iterations=";
      return EXIT_FAIL;
    }
    vcpu.x[11] = (u64)n;  // a1
  } else {
    printf("hv: no guest called '%s' (try seed, hello, fault, wfi, bench)\n",
           name);
    why = "unknown guest name in guest=";
    return EXIT_FAIL;
  }
  printf("hv: entering guest '%s' at %016lx\n", name, vcpu.pc);
  hvlab.trace_base = exit_trace.total;
  int st = vcpu_loop(&vcpu);
  printf("hv: guest '%s' made %lu exits\n", name,
         exit_trace.total - hvlab.trace_base);
  return st;
}

int stage_main(void) {
  printf("step3: a first guest, and its hypercalls as VM exits\n");
  h_enable(0);
  exits_init();
  hvlab.seed_limit = arg_num("seed", 10);
  char crash[8];
  hvlab.crash_in_handler =
      bootarg("crash", crash, sizeof crash) && strcmp(crash, "exit") == 0;

  char list[64];
  if (!bootarg("guest", list, sizeof list))
    memcpy(list, "seed,hello", sizeof "seed,hello");

  int status = EXIT_OK, guests = 0;
  for (char *p = list; *p && status == EXIT_OK;) {
    char *name = p;
    while (*p && *p != ',')
      p++;
    if (*p)
      *p++ = 0;
    status = run_guest(name);
    guests++;
  }

  trace_summary();
  if (hvlab.tests_passed || hvlab.tests_failed)
    printf("hv: guest tests: %ld passed, %ld failed\n", hvlab.tests_passed,
           hvlab.tests_failed);
  if (status == EXIT_GUEST_ERROR)
    why = "a guest failed";
  else if (hvlab.tests_failed)
    status = EXIT_FAIL, why = "a guest test failed";
  else if (hvlab.count_checks_bad)
    status = EXIT_FAIL, why = "the exit trace missed exits";
  else if (status != EXIT_OK && !why)
    why = "a guest shut down reporting failure";

  if (status == EXIT_OK)
    printf("step3: PASS: %d guest(s) ran and shut down, %lu exits handled\n",
           guests, exit_trace.total);
  else
    printf("step3: FAIL: %s (status %d)\n", why, status);
  return status;
}
