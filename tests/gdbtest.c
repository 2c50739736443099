// Helpers for the tests that drive gdb: see gdbtest.h.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbtest.h"
#include "harness.h"

char *gdb_batch(int n, const char *append, const char *script) {
  char elf[256], tdesc[256], err[256];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), n);
  snprintf(tdesc, sizeof tdesc, "%s/gdb/target.xml", build_dir());
  struct gdb_run cfg = {.elf = elf, .tdesc = tdesc, .append = append};
  char *out = gdb_run(&cfg, script, err, sizeof err);
  CHECK(out != NULL, "%s", err);
  if (out && getenv("HVTEST_VERBOSE"))
    printf("---- gdb ----\n%s---- end ----\n", out);
  return out;
}

const char *source_line(const char *path, int line, char *buf, size_t n) {
  buf[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f)
    return buf;
  char l[1024];
  for (int i = 1; fgets(l, sizeof l, f); i++)
    if (i == line) {
      l[strcspn(l, "\n")] = 0;
      snprintf(buf, n, "%s", l);
      break;
    }
  fclose(f);
  return buf;
}
