// The teaching build under gdb: every function on the exit path can be
// broken on by name, a file:line breakpoint on any of its statements stops
// on that line, and backtraces say where an exit came from.

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbtest.h"
#include "harness.h"

// The exit path of stage 3, in the order an exit takes it.
static const struct {
  const char *file, *func;
} path[] = {
    {"step3-guest/run.c", "vcpu_run"},
    {"step3-guest/run.c", "vcpu_loop"},
    {"step3-guest/exits.c", "handle_exit"},
    {"step3-guest/run.h", "trace_exit"},
    {"step3-guest/hypercall.c", "hypercall"},
    {"step3-guest/hypercall.c", "find"},
    {"step3-guest/hvlab_ext.c", "hvlab_ext"},
};
#define NPATH (sizeof path / sizeof path[0])

// Does gdb's output have a line matching the extended regex?
static int has(const char *out, const char *re) {
  regex_t r;
  if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0) {
    CHECK(0, "the test's regex /%s/ does not compile", re);
    return 0;
  }
  int ok = out && regexec(&r, out, 0, NULL, 0) == 0;
  regfree(&r);
  return ok;
}

static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

// Is this source line (trimmed) a statement that must generate code of its
// own at -O0? Declarations without a value, (void) casts, register
// variables bound to an asm register, braces and comments do not.
static int statement(const char *t, const char *prev) {
  size_t n = strlen(t);
  if (n == 0 || starts(t, "//") || starts(t, "}") || starts(t, "{") ||
      starts(t, "#") || starts(t, "(void)") || starts(t, "register ") ||
      starts(t, "case ") || starts(t, "default:") || starts(t, "extern "))
    return 0;
  // The continuation of a statement that began on an earlier line.
  size_t pn = strlen(prev);
  if (pn && !strchr(";{}:", prev[pn - 1]) && !starts(prev, "//") &&
      !(starts(prev, "if (") && prev[pn - 1] == ')'))
    return 0;
  if (t[n - 1] == ';') {
    // "type name;" or "type *name;": a declaration, no code.
    regex_t r;
    regcomp(
        &r,
        "^(const )?(struct [a-z_]+|[a-z0-9_]+) \\**[a-z_0-9]+(, [a-z_]+)*;$",
        REG_EXTENDED | REG_NOSUB);
    int decl = regexec(&r, t, 0, NULL, 0) == 0;
    regfree(&r);
    return !decl;
  }
  return (starts(t, "if (") || starts(t, "for (") || starts(t, "while (")) &&
         (t[n - 1] == ')' || t[n - 1] == '{');
}

// The statement lines of function `func` in `file`: the lines between its
// definition and the closing brace in column 0. Returns how many.
static int statements(const char *file, const char *func, int *lines, int max) {
  FILE *f = fopen(file, "r");
  CHECK(f != NULL, "cannot read %s", file);
  if (!f)
    return 0;
  char buf[512], prev[512] = "", def[64];
  snprintf(def, sizeof def, "%s(", func);
  int n = 0, in = 0;
  for (int ln = 1; fgets(buf, sizeof buf, f); ln++) {
    buf[strcspn(buf, "\n")] = 0;
    if (!in) {
      // A definition: the name at the start of the line or after a type,
      // not indented, and not a prototype.
      char *at = strstr(buf, def);
      if (at && !isspace((unsigned char)buf[0]) && buf[0] != '/' &&
          (at == buf || at[-1] == ' ' || at[-1] == '*') &&
          buf[strlen(buf) - 1] != ';')
        in = 1;
      continue;
    }
    if (buf[0] == '}')
      break;
    char *t = buf;
    while (isspace((unsigned char)*t))
      t++;
    // Drop a trailing comment.
    char *c = strstr(t, "  //");
    if (c)
      *c = 0;
    if (statement(t, prev) && n < max)
      lines[n++] = ln;
    if (*t)
      snprintf(prev, sizeof prev, "%s", t);
  }
  fclose(f);
  CHECK(in, "no definition of %s in %s", func, file);
  return n;
}

TEST(gdb_exit_path_breaks_by_name) {
  if (!gdb_available())
    SKIP("gdb-multiarch is not installed (make test installs it)");
  char script[2048] = "";
  for (size_t i = 0; i < NPATH; i++) {
    size_t k = strlen(script);
    snprintf(script + k, sizeof script - k, "break %s\n", path[i].func);
  }
  // Then run until each has been hit: the seed guest's first hypercall
  // takes the whole path.
  strcat(script, "break guest_exit\n");
  for (size_t i = 0; i <= NPATH; i++)
    strcat(script, "continue\n");
  char *out = gdb_batch(3, "guest=seed seed=3", script);
  if (!out)
    return;
  char re[256];
  for (size_t i = 0; i < NPATH; i++) {
    snprintf(re, sizeof re, "^Breakpoint [0-9]+ at 0x[0-9a-f]+: file %s, line",
             path[i].file);
    CHECK(has(out, re), "break %s: not set in %s", path[i].func, path[i].file);
    snprintf(re, sizeof re, "^Breakpoint [0-9]+, (0x[0-9a-f]+ in )?%s \\(",
             path[i].func);
    CHECK(has(out, re), "break %s: never stopped there", path[i].func);
  }
  CHECK(has(out, "^Breakpoint [0-9]+, guest_exit \\(\\) at "
                 "step3-guest/switch.S:[0-9]+"),
        "break guest_exit: no stop");
  CHECK(!has(out, "not defined|No symbol"), "a name gdb does not know:\n%s",
        out);
  free(out);
}

TEST(gdb_exit_path_lines_stop_where_written) {
  if (!gdb_available())
    SKIP("gdb-multiarch is not installed (make test installs it)");
  static char script[16384];
  script[0] = 0;
  int total = 0;
  struct {
    int file, line;
  } want[256];
  for (size_t i = 0; i < NPATH; i++) {
    int lines[64];
    int n = statements(path[i].file, path[i].func, lines, 64);
    CHECK(n >= 2, "%s: only %d statement lines found", path[i].func, n);
    for (int j = 0; j < n && total < 256; j++) {
      const char *base = strrchr(path[i].file, '/') + 1;
      size_t k = strlen(script);
      snprintf(script + k, sizeof script - k, "break %s:%d\n", base, lines[j]);
      want[total].file = (int)i;
      want[total++].line = lines[j];
    }
  }
  // A few continues: the lines of the seed guest's hypercall path are hit.
  for (int i = 0; i < 60; i++)
    strcat(script, "continue\n");
  char *out = gdb_batch(3, "guest=seed seed=3", script);
  if (!out)
    return;
  // "Breakpoint 7 at 0x80203c74: file step3-guest/hypercall.c, line 40."
  // or, for a line whose code is in two places (a macro with a statement
  // expression): "Breakpoint 5 at 0x80204158: run.c:35. (2 locations)".
  int bad = 0;
  char re[256], re2[256];
  for (int i = 0; i < total; i++) {
    const char *file = path[want[i].file].file;
    snprintf(re, sizeof re,
             "^Breakpoint %d at 0x[0-9a-f]+: file %s, line %d\\.$", i + 1, file,
             want[i].line);
    snprintf(re2, sizeof re2,
             "^Breakpoint %d at 0x[0-9a-f]+: %s:%d\\. \\([0-9]+ locations\\)$",
             i + 1, strrchr(file, '/') + 1, want[i].line);
    if (!has(out, re) && !has(out, re2)) {
      char src[256];
      CHECK(
          0, "break %s:%d (%s) did not stop on its line",
          path[want[i].file].file, want[i].line,
          source_line(path[want[i].file].file, want[i].line, src, sizeof src));
      bad++;
    }
  }
  CHECK(total >= 20, "only %d lines tried", total);
  // And they are really stopped at, in order, on the way of an exit.
  snprintf(re, sizeof re, "^Breakpoint [0-9]+, vcpu_run \\(.*\\) at %s:[0-9]+",
           path[0].file);
  CHECK(has(out, re), "no line of vcpu_run was stopped at");
  CHECK(has(out, "^Breakpoint [0-9]+, handle_exit \\(.*\\) at "
                 "step3-guest/exits.c:[0-9]+"),
        "no line of handle_exit was stopped at");
  if (bad && !getenv("HVTEST_VERBOSE"))
    printf("%s", out);
  free(out);
}

// bt at guest_exit names the guest instruction that trapped (the seed
// guest's ecall), and in a handler it walks back to the stage's main.
TEST(gdb_backtraces_and_info_frame) {
  if (!gdb_available())
    SKIP("gdb-multiarch is not installed (make test installs it)");
  char *out = gdb_batch(3, "guest=seed seed=3",
                        "break guest_exit\ncontinue\nbt\ndelete\n"
                        "break hypercall\ncontinue\nbt\ninfo frame\n"
                        "info registers hstatus scause sepc priv\n");
  if (!out)
    return;
  regex_t r;
  regmatch_t m[2];
  regcomp(&r,
          "^#1 +0x[0-9a-f]+ in guest_seed \\(\\) at "
          "step3-guest/guest_seed.S:([0-9]+)$",
          REG_EXTENDED | REG_NEWLINE);
  int found = regexec(&r, out, 2, m, 0) == 0;
  regfree(&r);
  CHECK(found, "bt at guest_exit does not show the guest's frame");
  if (found) {
    char src[256];
    int line = atoi(out + m[1].rm_so);
    source_line("step3-guest/guest_seed.S", line, src, sizeof src);
    CHECK(strstr(src, "ecall") != NULL,
          "bt at guest_exit shows guest_seed.S:%d (%s), not the ecall", line,
          src);
  }
  CHECK(has(out, "^#0 +guest_exit \\(\\) at step3-guest/switch.S"),
        "frame #0 is not guest_exit");
  CHECK(!has(out, "^#[0-9]+ .*in \\?\\? \\(\\)"), "a frame gdb could not name");
  CHECK(has(out, "^#[0-9]+ .*vcpu_loop \\("), "bt in hypercall: no vcpu_loop");
  CHECK(has(out, "^#[0-9]+ .*stage_main \\(\\) at step3-guest/main.c"),
        "bt in hypercall does not reach stage_main");
  CHECK(has(out, "^#[0-9]+ .*_start \\(\\) at runtime/riscv/entry.S"),
        "bt does not end at _start");
  CHECK(has(out, "^ Saved registers:"), "info frame printed no frame");
  CHECK(!has(out, "Could not fetch register|remote failure reply"),
        "a register read failed:\n%s", out);
  CHECK(has(out, "^hstatus +0x[0-9a-f]+"), "info registers hstatus");
  CHECK(has(out, "^priv +0x1"), "priv is not S (1)");
  free(out);
}
