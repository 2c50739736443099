// The handouts are checked, not trusted: every file:line in labs/ has an
// anchor naming the text on that line, every gdb transcript is what gdb
// prints on this code, and every checked console block is what the stage
// prints (tools/labcheck.c). `make labs` rewrites what drifted.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gdbtest.h"
#include "harness.h"

// Run a shell command; its status, and its output in out (cut to n).
static int sh(const char *cmd, char *out, size_t n) {
  FILE *f = popen(cmd, "r");
  if (!f)
    return -1;
  size_t k = 0, got;
  while (k + 1 < n && (got = fread(out + k, 1, n - k - 1, f)) > 0)
    k += got;
  out[k] = 0;
  char drain[4096];
  while (fread(drain, 1, sizeof drain, f) > 0)
    ;
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(labs_handouts_match_the_code) {
  if (!gdb_available())
    SKIP("gdb-multiarch is not installed (make test installs it)");
  char cmd[512];
  static char out[16384];
  snprintf(cmd, sizeof cmd, "%s/host/labcheck --build %s 2>&1", build_dir(),
           build_dir());
  int st = sh(cmd, out, sizeof out);
  CHECK(st == 0, "labcheck found the handouts out of date (status %d):\n%s", st,
        out);
}

// Shown on a scratch copy of the tree: move a line that a handout points
// at, and the check fails, naming the reference; put nothing in the way,
// and it passes.
TEST(labs_check_catches_a_moved_line) {
  char dir[] = "/tmp/hvtest-labs-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  char cmd[1024];
  static char out[16384];
  snprintf(cmd, sizeof cmd,
           "cp -r labs runtime include step1-vmxon step2-vmcs step3-guest "
           "step4-mem step5-devices '%s/' 2>&1",
           dir);
  CHECK(sh(cmd, out, sizeof out) == 0, "copying the tree: %s", out);
  snprintf(cmd, sizeof cmd, "%s/host/labcheck --anchors-only --src %s 2>&1",
           build_dir(), dir);
  int st = sh(cmd, out, sizeof out);
  CHECK(st == 0, "the unchanged copy does not pass (status %d):\n%s", st, out);
  // One more comment line at the top of switch.S moves every line the
  // step 3 handout names in it.
  snprintf(cmd, sizeof cmd,
           "sed -i '1i # a line that moves the others' "
           "'%s/step3-guest/switch.S' 2>&1",
           dir);
  CHECK(sh(cmd, out, sizeof out) == 0, "editing the copy: %s", out);
  snprintf(cmd, sizeof cmd, "%s/host/labcheck --anchors-only --src %s 2>&1",
           build_dir(), dir);
  st = sh(cmd, out, sizeof out);
  CHECK(st == 1, "a moved line was not caught (status %d):\n%s", st, out);
  CHECK(strstr(out, "step3-guest.md") && strstr(out, "switch.S:") &&
            strstr(out, "has moved"),
        "the report does not name the moved reference:\n%s", out);
  // And --update puts the handout right again.
  snprintf(cmd, sizeof cmd,
           "%s/host/labcheck --update --anchors-only --src %s 2>&1 && "
           "%s/host/labcheck --anchors-only --src %s 2>&1",
           build_dir(), dir, build_dir(), dir);
  st = sh(cmd, out, sizeof out);
  CHECK(st == 0, "--update did not renumber the references:\n%s", out);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0, "removing %s", dir);
}

// A transcript that says something gdb does not print is caught too.
TEST(labs_check_catches_a_wrong_transcript) {
  if (!gdb_available())
    SKIP("gdb-multiarch is not installed (make test installs it)");
  char md[] = "/tmp/hvtest-labs-XXXXXX.md";
  int fd = mkstemps(md, 3);
  CHECK(fd >= 0, "mkstemps");
  if (fd < 0)
    return;
  FILE *f = fdopen(fd, "w");
  // The line gdb prints at the breakpoint, with the wrong line number.
  fprintf(f, "<!-- gdb STEP=3 -->\n```gdb\n(gdb) break guest_exit\n"
             "(gdb) continue\n"
             "Breakpoint 1, guest_exit () at step3-guest/switch.S:1\n"
             "```\n");
  fclose(f);
  char cmd[512];
  static char out[8192];
  snprintf(cmd, sizeof cmd, "%s/host/labcheck --build %s %s 2>&1", build_dir(),
           build_dir(), md);
  int st = sh(cmd, out, sizeof out);
  CHECK(st == 1 && strstr(out, "printed something else"),
        "a wrong transcript passed (status %d):\n%s", st, out);
  remove(md);
}
