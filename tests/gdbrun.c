// gdb in batch mode against a stage under QEMU: see gdbrun.h.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdbrun.h"
#include "harness.h"

int have_gdb(void) {
  return system("command -v gdb-multiarch >/dev/null 2>&1") == 0;
}

const char *source_line(const char *path, int line, char *buf, size_t n) {
  buf[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f)
    return buf;
  for (int i = 1; fgets(buf, (int)n, f); i++) {
    size_t len = strlen(buf);
    int whole = len > 0 && buf[len - 1] == '\n';
    if (whole)
      buf[--len] = 0;
    if (i == line)
      break;
    buf[0] = 0;
    while (!whole) {  // skip the rest of an over-long line
      int c = fgetc(f);
      if (c == EOF || c == '\n')
        break;
    }
  }
  fclose(f);
  return buf;
}

static char *slurp(FILE *f) {
  size_t len = 0, cap = 8192;
  char *out = malloc(cap);
  size_t got;
  while (out && (got = fread(out + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (cap - len < 1024) {
      char *p = realloc(out, cap *= 2);
      if (!p)
        break;
      out = p;
    }
  }
  if (out)
    out[len] = 0;
  return out;
}

char *gdb_batch(int n, const char *append, const char *script) {
  char kernel[256], tdesc[256], cmdfile[] = "/tmp/hvtest-gdb-XXXXXX";
  snprintf(kernel, sizeof kernel, "%s/step%d/hv.elf", build_dir(), n);
  snprintf(tdesc, sizeof tdesc, "%s/gdb/target.xml", build_dir());
  struct qemu_cfg cfg = {.kernel = kernel,
                         .append = append,
                         .gdb_port = QEMU_GDB_AUTO,
                         .halted = 1,
                         .timeout = 120};
  struct qemu_proc q;
  memset(&q, 0, sizeof q);
  if (qemu_start(&cfg, &q) < 0) {
    CHECK(0, "could not start QEMU for %s", kernel);
    return NULL;
  }
  int fd = mkstemp(cmdfile);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    CHECK(0, "cannot write a gdb script in /tmp");
    qemu_kill(&q);
    qemu_free(&q);
    return NULL;
  }
  // The same settings as mk/gdbinit.in, which `make qemu-gdb` fills in.
  fprintf(f,
          "set confirm off\nset pagination off\nset width 0\n"
          "set architecture riscv:rv64\nset tdesc filename %s\nfile %s\n"
          "target remote localhost:%d\n"
          "maint packet qXfer:features:read:target.xml:0,1\n"
          "maintenance flush register-cache\n"
          "%s\nkill\n",
          tdesc, kernel, q.gdb_port, script);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "timeout 100 gdb-multiarch -q -nx -batch -x %s 2>&1", cmdfile);
  FILE *p = popen(cmd, "r");
  char *out = p ? slurp(p) : NULL;
  if (p)
    pclose(p);
  unlink(cmdfile);
  qemu_kill(&q);
  qemu_free(&q);
  CHECK(out != NULL, "could not run gdb-multiarch");
  if (out && getenv("HVTEST_VERBOSE"))
    printf("---- gdb ----\n%s---- end ----\n", out);
  return out;
}
