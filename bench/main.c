// bench: run every BENCH (or those whose names contain an argument).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

// Weak: with no benchmark linked in, the section and its bounds are absent.
extern const struct bench *const __start_hvbench[] __attribute__((weak));
extern const struct bench *const __stop_hvbench[] __attribute__((weak));

const char *bench_build_dir(void) {
  const char *b = getenv("HVLAB_BUILD");
  return b && *b ? b : "build";
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int failed = 0, ran = 0;
  for (const struct bench *const *b = __start_hvbench; b < __stop_hvbench;
       b++) {
    int want = argc < 2;
    for (int i = 1; i < argc; i++)
      want |= strstr((*b)->name, argv[i]) != NULL;
    if (!want)
      continue;
    printf("== %s: %s\n", (*b)->name, (*b)->what);
    int r = (*b)->fn();
    ran++;
    if (r) {
      printf("== %s: could not run (status %d)\n", (*b)->name, r);
      failed++;
    }
  }
  if (ran == 0)
    printf("bench: no benchmark matches\n");
  return failed ? 1 : 0;
}
