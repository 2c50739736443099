// gdb in batch mode against a stage under QEMU: see gdbrun.h.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "gdbrun.h"
#include "qemu.h"

int gdb_available(void) {
  return system("command -v gdb-multiarch >/dev/null 2>&1") == 0;
}

char *gdb_run(const struct gdb_run *cfg, const char *script, char *err,
              size_t errlen) {
  double timeout = cfg->timeout > 0 ? cfg->timeout : 120;
  const char *extra[] = {"-initrd", cfg->initrd, NULL};
  struct qemu_cfg qc = {.kernel = cfg->elf,
                        .append = cfg->append,
                        .no_h = cfg->no_h,
                        .smp = cfg->smp,
                        .extra = cfg->initrd ? extra : NULL,
                        .gdb_port = QEMU_GDB_AUTO,
                        .halted = 1,
                        .timeout = timeout + 10};
  struct qemu_proc q;
  memset(&q, 0, sizeof q);
  if (qemu_start(&qc, &q) < 0) {
    snprintf(err, errlen, "cannot start QEMU for %s: %s", cfg->elf,
             strerror(errno));
    return NULL;
  }
  char cmdfile[] = "/tmp/hvlab-gdb-XXXXXX";
  int fd = mkstemp(cmdfile);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    snprintf(err, errlen, "cannot write a gdb script in /tmp: %s",
             strerror(errno));
    if (fd >= 0)
      close(fd), unlink(cmdfile);
    qemu_kill(&q);
    qemu_free(&q);
    return NULL;
  }
  // The settings of mk/gdbinit.in, which `make qemu-gdb` fills in; the
  // register-description dance is explained there.
  fprintf(f, "set confirm off\nset pagination off\nset width 0\nset height 0\n"
             "set architecture riscv:rv64\n");
  if (cfg->tdesc)
    fprintf(f, "set tdesc filename %s\n", cfg->tdesc);
  fprintf(f,
          "file %s\ntarget remote localhost:%d\n"
          "maint packet qXfer:features:read:target.xml:0,1\n"
          "maintenance flush register-cache\n%s\nkill\n",
          cfg->elf, q.gdb_port, script);
  fclose(f);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "timeout %.0f gdb-multiarch -q -nx -batch -x %s 2>&1 </dev/null",
           timeout, cmdfile);
  FILE *p = popen(cmd, "r");
  char *out = p ? read_stream(p, NULL) : NULL;
  if (p)
    pclose(p);
  unlink(cmdfile);
  qemu_kill(&q);
  qemu_free(&q);
  if (!out)
    snprintf(err, errlen, "cannot run gdb-multiarch");
  return out;
}
