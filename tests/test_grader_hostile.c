// Hostile submissions and a hostile machine: the grader must give every
// test a verdict within its timeout, never hang, never die, and leave no
// QEMU behind. A fake "QEMU" -- a shell script given with --qemu or found
// first in PATH -- plays the stage that hangs, floods, crashes QEMU, never
// powers off, or prints garbage.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "test_grader.h"

// The grader checks that hv.elf exists (and gdb tests read its symbols)
// before starting "QEMU", so these tests need the real stage 1.
static void need_stage1(void) {
  char elf[512];
  grade_bin();
  snprintf(elf, sizeof elf, "%s/step1/hv.elf", build_dir());
  if (access(elf, R_OK) != 0)
    SKIP("stage 1 is not built (make all)");
}

// Write the fake QEMU script dir/name; every copy notes its pid in
// dir/pids (before `exec`, so the pid is that of what runs).
static char *fake_qemu(const char *dir, const char *name, const char *body) {
  char *path = malloc(600), text[4096];
  snprintf(path, 600, "%s/%s", dir, name);
  snprintf(text, sizeof text, "#!/bin/sh\necho $$ >> '%s/pids'\n%s\n", dir,
           body);
  CHECK(write_text(path, text, 0755) == 0, "cannot write %s", path);
  return path;
}

// Every process the fakes noted must be gone.
static void check_no_leftovers(const char *dir) {
  char path[600];
  snprintf(path, sizeof path, "%s/pids", dir);
  char *pids = read_text(path, NULL);
  // No file means no fake ever ran: then this test proved nothing.
  CHECK(pids != NULL, "%s is missing: the fake QEMU never ran", path);
  if (!pids)
    return;
  int left = 0;
  for (char *s = pids; *s;) {
    pid_t pid = (pid_t)strtol(s, &s, 10);
    if (pid <= 0)
      break;
    // Killed processes may take a moment to be reaped by init.
    for (int i = 0; i < 100 && !process_gone(pid); i++)
      usleep(20000);
    if (!process_gone(pid)) {
      left++;
      kill(pid, SIGKILL);
    }
  }
  CHECK(left == 0, "%d fake QEMU process(es) left running", left);
  free(pids);
}

// One fake that misbehaves differently for each stage 1 test, by what its
// command line asks for:
//   -S (the gdb test)       hangs: never answers on its gdbstub port
//   h=false (without_h)     closes its output, then lingers forever
//   crash=hv (crash_dump)   exits, but leaves a child holding its output
//   anything else           floods the console
TEST(grader_hostile_hang_flood_linger) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  char *q =
      fake_qemu(dir, "qemu",
                "case \"$*\" in\n"
                "*' -S'*) exec sleep 60 ;;\n"
                "*h=false*) exec >/dev/null 2>&1; exec sleep 60 ;;\n"
                "*crash=hv*) sleep 60 & echo $! >> \"$(dirname $0)/pids\";"
                " echo 'half a boot'; exit 0 ;;\n"
                "*) exec yes 'flood flood flood flood' ;;\n"
                "esac");
  // Five tests, -j 5: one round, each test over at its timeout (plus the
  // watchdog's grace at worst) -- never at the fakes' 60 s.
  const double timeout = 2;
  double limit = grade_time_limit(timeout, 1);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1",
                                  "--qemu", q, "--timeout", "2", "-j", "5",
                                  "--results", dir, NULL},
            NULL, 2 * limit);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  CHECK(c.seconds < limit,
        "took %.1fs: a %.0fs timeout must hold (allowed: %.1fs)", c.seconds,
        timeout, limit);
  double longest = longest_test(c.out);
  CHECK(longest >= 0 && longest < limit,
        "a test took %.1fs with a %.0fs timeout (allowed: %.1fs)", longest,
        timeout, limit);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == 0 && max > 0,
        "no 'Score: 0/N'");
#define VERDICT(test, re)                                                      \
  CHECK(count_lines(c.out, "^step1: " test                                     \
                           " \\.\\.\\. FAIL \\([0-9.]+s\\): " re) == 1,        \
        "%s: no verdict /%s/", test, re)
  VERDICT("h_detected", "output flood");
  VERDICT("delegation", "output flood");
  VERDICT(
      "delegation_csrs_gdb",
      "timed out after 2s.*gdb: QEMU's gdbstub on port [0-9]+ never answered");
  VERDICT("without_h", "timed out after 2s");
  VERDICT("crash_dump", "timed out after 2s");
  CHECK(count_lines(c.out, "^    transcript: ") ==
            count_lines(c.out, "\\.\\.\\. FAIL"),
        "not a transcript for each failure");
  if (c.status != 1 || c.seconds >= limit)
    show_output(&c);
  check_no_leftovers(dir);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// QEMU itself crashes -- found through PATH this time, as a student's
// machine would find it.
TEST(grader_hostile_qemu_crashes) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  free(fake_qemu(dir, "qemu-system-riscv64", "echo booting; kill -SEGV $$"));
  char path[2048];
  snprintf(path, sizeof path, "PATH=%s:%s", dir, getenv("PATH"));
  // A crash is news at once: every test (and so the run, in one round at
  // -j 5) must end before its timeout could have ended it.
  const double timeout = DEFAULT_TIMEOUT;
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1", "-j",
                                  "5", "--timeout", "10", "--results", dir,
                                  NULL},
            (const char *const[]){path, "HVLAB_QEMU=", NULL},
            grade_time_limit(timeout, 1));
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  int crashed = count_lines(c.out, "FAIL \\([0-9.]+s\\): QEMU crashed: "
                                   "killed by signal 11");
  CHECK(crashed >= 5 && crashed == count_lines(c.out, "\\.\\.\\. FAIL"),
        "not a 'QEMU crashed' verdict for every test");
  double longest = longest_test(c.out);
  CHECK(longest >= 0 && longest < timeout && c.seconds < timeout,
        "a crash took %.1fs (the run %.1fs) to report: as long as the %.0fs "
        "timeout",
        longest, c.seconds, timeout);
  if (c.status != 1)
    show_output(&c);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// Garbage on the console: control characters, escapes, quotes, markup and
// bytes that are not UTF-8. The reports must still parse.
TEST(grader_hostile_garbage_reports) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  char *q = fake_qemu(dir, "qemu",
                      "printf 'step1: \\001\\033[31m \"quoted\\\\\" <b>&amp;"
                      "</b> \\377\\376\\300\\200 \\355\\240\\200\\n'\n"
                      "printf 'no newline at the end \\000 \\t'\nexit 1");
  char json[700], junit[700];
  snprintf(json, sizeof json, "%s/r.json", dir);
  snprintf(junit, sizeof junit, "%s/r.xml", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1",
                                  "--qemu", q, "--results", dir, "--json", json,
                                  "--junit", junit, NULL},
            NULL, 20);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  CHECK(count_lines(c.out, "FAIL \\([0-9.]+s\\): ") >= 5 &&
            count_lines(c.out, "\\.\\.\\. OK") == 0,
        "not a FAIL for every test");
  // The gdb test says how QEMU ended, not just that gdb got no answer.
  CHECK(count_lines(c.out, "^step1: delegation_csrs_gdb \\.\\.\\. FAIL "
                           "\\([0-9.]+s\\): gdb: QEMU ended before its "
                           "gdbstub answered \\(exit status 1\\)$") == 1,
        "delegation_csrs_gdb: not 'QEMU ended before its gdbstub answered'");
  // The listing shows what the stage printed, made printable.
  CHECK(count_lines(c.out,
                    "^ +[0-9]+\\| step1: \\\\x01\\\\x1b\\[31m \"quoted") >= 1,
        "the listing does not show the console line, escaped");
  char *j = read_text(json, NULL), *x = read_text(junit, NULL), why[200];
  CHECK(j && json_valid(j, why, sizeof why), "results.json: %s",
        j ? why : "missing");
  CHECK(j && strstr(j, "\"score\": 0,"), "results.json: score is not 0");
  CHECK(x && !xml_has_bad_bytes(x), "junit.xml holds control characters");
  CHECK(x && strstr(x, "&lt;b&gt;&amp;amp;&lt;/b&gt;") != NULL,
        "junit.xml: markup from the console is not escaped");
  free(j);
  free(x);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// No QEMU at all: one clear message, not eighteen; still a score and a
// results.json, so Gradescope shows the student something.
TEST(grader_hostile_no_qemu) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  char json[700];
  snprintf(json, sizeof json, "%s/r.json", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--qemu",
                                  "/nonexistent/qemu-system-riscv64", "--json",
                                  json, "--results", dir, NULL},
            NULL, 10);
  CHECK(c.exited && c.status == 2, "grade exited %d, expected 2", c.status);
  CHECK(count_lines(c.out, "cannot run any test") == 1,
        "not exactly one 'cannot run' message");
  CHECK(count_lines(c.out, "FAIL") == 0, "per-test FAIL lines without QEMU");
  CHECK(count_lines(c.out, "^Score: 0/[0-9]+$") == 1, "no score");
  char *j = read_text(json, NULL), why[200];
  CHECK(j && json_valid(j, why, sizeof why) && strstr(j, "\"score\": 0,"),
        "results.json missing, invalid or not 0");
  if (c.status != 2)
    show_output(&c);
  free(j);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// `grade | head -1`: the reader goes away. The grader must not die of
// SIGPIPE; it finishes, writes its report, and exits with its status.
TEST(grader_survives_sigpipe) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  char json[700];
  snprintf(json, sizeof json, "%s/r.json", dir);
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  close(p[0]);  // nobody will ever read
  char *argv[] = {(char *)grade_bin(),
                  "--build",
                  (char *)build_dir(),
                  "--step",
                  "1",
                  "--json",
                  json,
                  "--results",
                  dir,
                  NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, p[1], 30) == 0, "cannot start the grader");
  close(p[1]);
  proc_wait(&c);
  CHECK(c.exited && c.status == 0,
        "grade %s %d, expected to exit 0 (stage 1 has full marks)",
        c.signal ? "died of signal" : "exited", c.signal ? c.signal : c.status);
  CHECK(access(json, R_OK) == 0, "no results.json");
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// Ctrl-C in the middle of a run: the grader goes, and so do its QEMUs
// (which run in their own process groups, out of the terminal's reach).
TEST(grader_sigint_kills_qemus) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  // Each fake leaves a child behind, as a QEMU could: when the grader dies,
  // the fake itself would go anyway (PR_SET_PDEATHSIG), but only a kill of
  // its whole process group reaches the child.
  char *q = fake_qemu(dir, "qemu",
                      "sleep 60 & echo $! >> \"$(dirname $0)/pids\"; wait");
  char pids[700];
  snprintf(pids, sizeof pids, "%s/pids", dir);
  const double timeout = 20;  // the fakes would outlive it: sleep 60
  char *argv[] = {(char *)grade_bin(),
                  "--build",
                  (char *)build_dir(),
                  "--step",
                  "1",
                  "--qemu",
                  q,
                  "-j",
                  "5",
                  "--timeout",
                  "20",
                  "--results",
                  dir,
                  NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 2 * grade_time_limit(timeout, 1)) == 0,
        "cannot start the grader");
  // Wait for the fakes to be running (for half the timeout at most).
  int running = 0;
  for (double t0 = now_seconds();
       running < 10 && now_seconds() - t0 < timeout / 2;) {
    char *text = read_text(pids, NULL);
    running = text ? count_lines(text, "^[0-9]+$") : 0;
    free(text);
    if (running < 10)
      usleep(20000);
  }
  CHECK(running == 10, "%d fake QEMUs and children started, expected 5 + 5",
        running);
  double t_int = now_seconds();
  kill(c.pid, SIGINT);
  proc_wait(&c);
  double stop = now_seconds() - t_int;
  CHECK(c.signal == SIGINT && !c.timed_out,
        "the grader did not end by SIGINT (exit status %d, signal %d)",
        c.status, c.signal);
  // Stopped by the signal, not by the tests' timeouts.
  CHECK(stop < timeout / 2, "took %.1fs to stop; the timeout is %.0fs", stop,
        timeout);
  CHECK(strstr(c.out, "interrupted") != NULL, "no 'interrupted' message");
  check_no_leftovers(dir);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// A QEMU whose exit status is not a stage's. Statuses are a bit mask
// (grade.h's ST(n)); 32 and above must match nothing, never alias to a low
// status (1u << 32 is undefined, and x86 makes it 1u << 0: "pass"). The
// fake runs the real QEMU, so every console check passes, then exits 32
// more than the stage did: every test must fail on its status alone.
TEST(grader_hostile_exit_status_32) {
  need_stage1();
  if (system("command -v qemu-system-riscv64 >/dev/null 2>&1") != 0)
    SKIP("no qemu-system-riscv64 in PATH");
  char *dir = make_tmpdir("hostile");
  char *q = fake_qemu(dir, "qemu",
                      "qemu-system-riscv64 \"$@\"\n"
                      "exit $(( $? + 32 ))");
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1",
                                  "--qemu", q, "--results", dir, NULL},
            NULL, 60);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  int got = -1, max = -1, scored = grade_score(c.out, &got, &max) == 0;
  CHECK(scored && got == 0 && max > 0,
        "Score: %d/%d, expected 0: a status over 31 passed a test", got, max);
  int wrong = count_lines(c.out, "\\.\\.\\. FAIL \\([0-9.]+s\\): exit status "
                                 "3[2-9] \\(not a stage status\\), expected ");
  CHECK(wrong >= 5 && wrong == count_lines(c.out, "\\.\\.\\. (OK|FAIL)"),
        "%d tests failed on their exit status; expected all", wrong);
  if (got != 0 || wrong < 5)
    show_output(&c);
  check_no_leftovers(dir);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// A QEMU slow to start (a loaded machine): the gdbstub's socket listens
// from the start, but nobody answers on it for a while -- longer than the
// RSP client waits for one reply (2 s). The probe must ask again rather
// than fail the test, within the test's timeout.
TEST(grader_hostile_slow_gdbstub) {
  need_stage1();
  if (system("command -v qemu-system-riscv64 >/dev/null 2>&1") != 0)
    SKIP("no qemu-system-riscv64 in PATH");
  char *dir = make_tmpdir("hostile");
  char *q = fake_qemu(dir, "qemu",
                      "case \"$*\" in *' -S'*) sleep 2.5 ;; esac\n"
                      "exec qemu-system-riscv64 \"$@\"");
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--test",
                                  "step1:delegation_csrs_gdb", "--qemu", q,
                                  "--results", dir, NULL},
            NULL, 2 * grade_time_limit(PROBE_TIMEOUT, 1));
  CHECK(c.exited && c.status == 0 &&
            count_lines(c.out, "^step1: delegation_csrs_gdb \\.\\.\\. OK") == 1,
        "a gdbstub that answers after 2.5 s: status %d", c.status);
  if (c.status != 0)
    show_output(&c);
  check_no_leftovers(dir);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// A FIFO where hv.elf should be: opening it would wait for a writer
// forever, in a place no timeout reaches. Every test must fail at once
// with a message that says what is wrong.
TEST(grader_hostile_fifo_elf) {
  grade_bin();
  char *dir = make_tmpdir("hostile");
  char step1[700], elf[800];
  snprintf(step1, sizeof step1, "%s/step1", dir);
  snprintf(elf, sizeof elf, "%s/hv.elf", step1);
  CHECK(mkdir(step1, 0700) == 0 && mkfifo(elf, 0600) == 0, "mkfifo %s", elf);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", dir, "--step", "1", "--results",
                                  dir, NULL},
            NULL, 10);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1 (%s)", c.status,
        c.timed_out ? "it hung" : "no hang");
  int n = count_lines(c.out, "\\.\\.\\. FAIL \\([0-9.]+s\\): cannot use "
                             ".*/step1/hv\\.elf: is a FIFO, not a regular "
                             "file$");
  CHECK(n >= 5 && n == count_lines(c.out, "\\.\\.\\. (OK|FAIL)"),
        "%d tests refused the FIFO; expected all", n);
  if (n < 5)
    show_output(&c);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// Where n bytes of s hold a byte no terminal should get from a guest: a
// control character other than '\n' and '\t', DEL, or one >= 0x80.
// Returns its offset, or -1.
static long raw_byte(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
      return (long)i;
  }
  return -1;
}

// A console full of what must never reach a terminal raw: ESC sequences
// (clear screen, cursor home, OSC 52: set the reader's clipboard), CR
// (overwrites a line's start), NUL, BEL, DEL and bytes >= 0x80. With -v,
// in the listing, the transcripts, results.json and the JUnit XML, each
// must arrive escaped (\x1b), never as itself.
TEST(grader_hostile_console_escaped) {
  need_stage1();
  char *dir = make_tmpdir("hostile");
  char *q = fake_qemu(
      dir, "qemu",
      "printf 'step1: osc \\033]52;c;aGk=\\007 cls \\033[2J\\033[H\\n'\n"
      "printf 'over\\rwrite nul \\000 del \\177 hi \\377\\300\\n'\n"
      "exit 1");
  char json[700], junit[700], tr[800];
  snprintf(json, sizeof json, "%s/r.json", dir);
  snprintf(junit, sizeof junit, "%s/r.xml", dir);
  snprintf(tr, sizeof tr, "%s/step1-h_detected.txt", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1", "-v",
                                  "--qemu", q, "--results", dir, "--json", json,
                                  "--junit", junit, NULL},
            NULL, 20);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  long at = raw_byte(c.out, c.len);
  CHECK(at < 0, "grade's output holds byte 0x%02x at %ld",
        at < 0 ? 0 : (unsigned char)c.out[at], at);
  // What the guest sent is still there to read, escaped.
  CHECK(count_lines(c.out, "^    \\| step1: osc \\\\x1b\\]52;c;aGk=\\\\x07 "
                           "cls \\\\x1b\\[2J\\\\x1b\\[H$") >= 5,
        "-v does not show the ESC line escaped for every test");
  CHECK(count_lines(c.out, "^    \\| over\\\\x0dwrite nul \\\\x00 del "
                           "\\\\x7f hi \\\\xff\\\\xc0$") >= 5,
        "-v does not show CR, NUL, DEL and high bytes escaped");
  CHECK(count_lines(c.out, "^ +[0-9]+\\| step1: osc \\\\x1b") >= 1,
        "the listing does not show the ESC line escaped");
  const char *const files[] = {tr, json, junit};
  for (int i = 0; i < 3; i++) {
    size_t n = 0;
    char *t = read_text(files[i], &n);
    CHECK(t != NULL, "%s is missing", files[i]);
    long off = t ? raw_byte(t, n) : -1;
    CHECK(off < 0, "%s holds byte 0x%02x at %ld", files[i],
          off < 0 ? 0 : (unsigned char)t[off], off);
    CHECK(t && strstr(t, "x1b]52;c;aGk="), "%s: the OSC 52 line is missing",
          files[i]);
    free(t);
  }
  if (c.status != 1 || at >= 0)
    show_output(&c);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}

// QEMU's exit status is the low 8 bits of the stage's power-off status:
// poweroff(256) exits 0, "pass". A status 0 whose console ends with the
// stage's own FAIL verdict is no pass. The fake runs the real stage, then
// adds that verdict and exits 0: the tests that accept status 0 must fail
// on it, by that reason.
TEST(grader_hostile_status_wraps_to_0) {
  need_stage1();
  if (system("command -v qemu-system-riscv64 >/dev/null 2>&1") != 0)
    SKIP("no qemu-system-riscv64 in PATH");
  char *dir = make_tmpdir("hostile");
  char *q = fake_qemu(dir, "qemu",
                      "qemu-system-riscv64 \"$@\"\n"
                      "echo 'step1: FAIL: powering off with status 256'\n"
                      "exit 0");
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--step", "1",
                                  "--qemu", q, "--results", dir, NULL},
            NULL, 60);
  CHECK(c.exited && c.status == 1, "grade exited %d, expected 1", c.status);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == 0 && max > 0,
        "Score: %d/%d, expected 0", got, max);
  // Every test fails: those that accept status 0 on the contradiction,
  // the others on their status as before.
  int wrapped =
      count_lines(c.out, "\\.\\.\\. FAIL \\([0-9.]+s\\): exit status 0 "
                         "\\(pass\\), but the stage's last verdict "
                         "line is step1: FAIL");
  int other = count_lines(c.out, "\\.\\.\\. FAIL \\([0-9.]+s\\): exit status 0 "
                                 "\\(pass\\), expected [1-9]");
  int tests = count_lines(c.out, "\\.\\.\\. (OK|FAIL)");
  CHECK(wrapped >= 3 && wrapped + other == tests,
        "%d tests failed on the contradiction, %d on their status, of %d; "
        "expected at least the 3 that accept status 0, and all",
        wrapped, other, tests);
  if (wrapped < 3 || wrapped + other != tests)
    show_output(&c);
  check_no_leftovers(dir);
  proc_free(&c);
  free(q);
  remove_tree(dir);
  free(dir);
}
