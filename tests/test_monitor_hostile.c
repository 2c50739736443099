// Files that are not files: a FIFO (or a directory, a device) where a tool
// expects an ELF image. open() on a FIFO waits for a writer forever, where
// no deadline reaches; every host tool must refuse it at once, saying why.
// (The grader's case is in test_grader_hostile.c, hostlib's in
// test_elfsym.c.)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_grader.h"

TEST(monitor_refuses_a_fifo_elf) {
  char mon[512];
  snprintf(mon, sizeof mon, "%s/host/monitor", build_dir());
  if (access(mon, X_OK) != 0)
    SKIP("the monitor is not built");
  char *dir = make_tmpdir("fifo");
  char fifo[700];
  snprintf(fifo, sizeof fifo, "%s/hv.elf", dir);
  CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
  char *argv[] = {mon, "--elf", fifo, "--batch", "--seconds", "2", NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 10) == 0, "cannot start the monitor");
  proc_wait(&c);
  CHECK(c.exited && !c.timed_out && c.status != 0,
        "monitor --elf FIFO: %s, status %d", c.timed_out ? "hung" : "ended",
        c.status);
  CHECK(c.out && strstr(c.out, "is a FIFO, not a regular file"),
        "no clear message:\n%s", c.out ? c.out : "");
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}
