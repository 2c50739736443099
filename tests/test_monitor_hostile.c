// The monitor against hostile input it did not choose: a FIFO where its
// ELF should be, and a console full of escape sequences. (The grader's
// cases are in test_grader_hostile.c, hostlib's in test_elfsym.c.)
//
// A FIFO (or a directory, a device) where a tool expects an ELF image:
// open() on a FIFO waits for a writer forever, where no deadline reaches;
// every host tool must refuse it at once, saying why.

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

// The monitor's console (its pane, and stderr in --batch) shows what QEMU
// printed escaped by hvlab/escape.h's rule. A "QEMU" first in PATH prints
// ESC sequences (clear screen, OSC 52: set the clipboard), CR, NUL, DEL
// and bytes >= 0x80 before it becomes the real one; --batch's stderr must
// hold none of them raw, and show them as \xHH (a CR is dropped: the
// UART ends every line with CR LF).
TEST(monitor_console_escaped) {
  char mon[512], elf[512], real[512] = "";
  snprintf(mon, sizeof mon, "%s/host/monitor", build_dir());
  snprintf(elf, sizeof elf, "%s/step3/hv.elf", build_dir());
  if (access(mon, X_OK) != 0 || access(elf, R_OK) != 0)
    SKIP("the monitor or stage 3 is not built");
  FILE *w = popen("command -v qemu-system-riscv64", "r");
  if (!w || !fgets(real, sizeof real, w) || real[0] != '/') {
    if (w)
      pclose(w);
    SKIP("no qemu-system-riscv64 in PATH");
  }
  pclose(w);
  real[strcspn(real, "\n")] = 0;
  char *dir = make_tmpdir("monesc");
  char fake[700], text[2048], path[4096];
  snprintf(fake, sizeof fake, "%s/qemu-system-riscv64", dir);
  snprintf(text, sizeof text,
           "#!/bin/sh\n"
           "printf 'hvfake osc \\033]52;c;aGk=\\007 cls \\033[2J\\033[H "
           "cr\\rnul \\000 del \\177 hi \\377\\n'\n"
           "exec '%s' \"$@\"\n",
           real);
  CHECK(write_text(fake, text, 0755) == 0, "cannot write %s", fake);
  snprintf(path, sizeof path, "PATH=%s:%s", dir, getenv("PATH"));
  char *argv[] = {mon,       "--elf",     elf, "--append", "guest=seed",
                  "--batch", "--seconds", "5", NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, (const char *const[]){path, NULL}, -1, 60) == 0,
        "cannot start the monitor");
  proc_wait(&c);
  CHECK(c.exited && c.status == 0, "monitor: status %d", c.status);
  const char *o = c.out ? c.out : "";
  const char *l = strstr(o, "hvfake osc ");
  CHECK(l != NULL, "the fake's line is not in the monitor's output:\n%s", o);
  if (l) {
    const char *want = "hvfake osc \\x1b]52;c;aGk=\\x07 cls \\x1b[2J\\x1b[H "
                       "crnul \\x00 del \\x7f hi \\xff\n";
    CHECK(strncmp(l, want, strlen(want)) == 0, "the line is not escaped:\n%s",
          l);
  }
  for (size_t i = 0; i < c.len; i++) {
    unsigned char b = (unsigned char)o[i];
    if ((b < 0x20 && b != '\n' && b != '\t') || b >= 0x7f) {
      CHECK(0, "raw byte 0x%02x at %zu of the monitor's output", b, i);
      break;
    }
  }
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}
