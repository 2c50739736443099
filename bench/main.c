// bench: run every BENCH (or those whose names contain an argument).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

// Weak: with no benchmark linked in, the section and its bounds are absent.
extern const struct bench *const __start_hvbench[] __attribute__((weak));
extern const struct bench *const __stop_hvbench[] __attribute__((weak));

const char *bench_build_dir(void) {
  const char *b = getenv("HVLAB_BUILD");
  return b && *b ? b : "build";
}

static void usage(FILE *f) {
  fprintf(f, "usage: bench [--list] [NAME...]\n"
             "Run hvlab's benchmarks (every one, or those whose names "
             "contain a NAME);\n"
             "`make bench B=NAME` builds what they need and runs them.\n"
             "  -l, --list   print the benchmarks and what they measure\n"
             "  -h, --help   this text\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int list, first = cli_names(argc, argv, usage, &list);
  if (first < 0)
    return first == -1 ? 0 : 2;
  int failed = 0, ran = 0;
  for (const struct bench *const *b = __start_hvbench; b < __stop_hvbench;
       b++) {
    if (!cli_match((*b)->name, argc - first, argv + first))
      continue;
    if (list) {
      printf("%s: %s\n", (*b)->name, (*b)->what);
      ran++;
      continue;
    }
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
