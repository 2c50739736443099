// The cost of one on-demand G-stage fault round trip in stage 4: the
// guest stores to a page of its RAM that is not mapped yet, the
// hypervisor takes the store guest-page fault, allocates and zeroes a
// page, maps it, flushes the TLB entry, and the guest's store runs again.
// The built-in guest (guest=faultbench, RAM on demand) counts it itself
// with instret around the store, minus the same store to a mapped page;
// under -icount shift=0 that is exact.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "qemu.h"

static long measure(const char *label, const char *build) {
  char elf[256];
  snprintf(elf, sizeof elf, "%s/step4/hv.elf", build);
  struct qemu_cfg cfg = {.kernel = elf,
                         .append = "demand=on guest=faultbench",
                         .icount = 1,
                         .timeout = 120};
  struct qemu_proc p;
  if (qemu_run(&cfg, &p) < 0) {
    perror("bench: qemu-system-riscv64");
    return -1;
  }
  long n = -1, fresh = -1, mapped = -1;
  const char *s = strstr(p.out ? p.out : "", "on-demand fault round trip: ");
  if (s && p.status == 0)
    sscanf(s,
           "on-demand fault round trip: %ld instructions (a store to a fresh "
           "page %ld, to a mapped one %ld)",
           &n, &fresh, &mapped);
  if (n < 0) {
    char why[96];
    printf("bench: %s: the faultbench guest did not report (%s)\n", elf,
           qemu_verdict(&p, why, sizeof why));
  } else {
    printf("  %-9s build: %6ld instructions per on-demand fault round trip "
           "(fresh page %ld, mapped %ld)\n",
           label, n, fresh, mapped);
  }
  qemu_free(&p);
  return n;
}

BENCH(gstage_fault, "instructions per on-demand G-stage fault round trip in "
                    "stage 4 (fault, allocate and zero a page, map, flush, "
                    "return), exact under -icount shift=0") {
  const char *opt = getenv("HVLAB_BUILD_OPT");
  long o = measure("optimised", opt && *opt ? opt : "build-opt");
  long t = measure("teaching", bench_build_dir());
  return o < 0 || t < 0;
}
