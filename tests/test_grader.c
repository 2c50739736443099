// The grader on the reference stages: full marks, its command line, and
// its reports. (Broken stages: test_grader_mutations.c; hostile "QEMUs":
// test_grader_hostile.c.)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_grader.h"

// Every stage the grader has tests for and that is built here.
static int built_stages(void) {
  int n = 0;
  for (int s = 1; s <= 3; s++) {
    char elf[512];
    snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), s);
    n += access(elf, R_OK) == 0;
  }
  return n;
}

TEST(grader_reference_full_marks) {
  grade_bin();
  if (built_stages() < 3)
    SKIP("stages 1-3 are not all built (make all)");
  char *dir = make_tmpdir("grade");
  char json[600], junit[600], results[600];
  snprintf(json, sizeof json, "%s/results.json", dir);
  snprintf(junit, sizeof junit, "%s/junit.xml", dir);
  snprintf(results, sizeof results, "%s/results", dir);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", results,
                                  "--json", json, "--junit", junit, NULL},
            NULL, 60);
  CHECK(c.exited && c.status == 0, "grade exited %d, expected 0 (full marks)",
        c.status);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == max && max > 0,
        "not full marks: Score: %d/%d", got, max);
  // One OK line per test, as many as the reports hold; no FAIL.
  int oks = count_lines(c.out,
                        "^step[0-9]+: [a-z0-9_]+ \\.\\.\\. OK \\([0-9.]+s\\)$");
  CHECK(oks >= 19, "%d tests OK; stages 1-3 alone have 19", oks);
  CHECK(count_lines(c.out, "FAIL") == 0, "a FAIL line");
  // Every stage that is built has its full score on its own line
  // ("step5: 80/80 (7.1s)"): stages 4 and 5 too, whose guests come from
  // the grader's tree in their own ways (stage 5's as a guest package).
  for (int s = 1; s <= 5; s++) {
    char elf[512], re[64];
    snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), s);
    if (access(elf, R_OK) != 0)
      continue;
    int sg = -1, sm = -1;
    CHECK(stage_score(c.out, s, &sg, &sm) == 0 && sg == sm && sm > 0,
          "stage %d: %d/%d, not its full score", s, sg, sm);
    snprintf(re, sizeof re, "^step%d: [a-z0-9_]+ \\.\\.\\. OK", s);
    CHECK(count_lines(c.out, re) >= 5, "stage %d: under 5 tests OK", s);
  }
  CHECK(access(results, F_OK) != 0 || count_lines(c.out, "transcript") == 0,
        "a transcript for a passing run");

  // Gradescope's results.json.
  char *j = read_text(json, NULL), why[200];
  CHECK(j != NULL, "no %s", json);
  if (j) {
    CHECK(json_valid(j, why, sizeof why), "results.json is not JSON: %s", why);
    char sc[64];
    snprintf(sc, sizeof sc, "\"score\": %d,", max);
    CHECK(strstr(j, sc) != NULL, "results.json: score is not %d", max);
    CHECK(strstr(j, "\"execution_time\": ") != NULL, "no execution_time");
    CHECK(strstr(j, "\"stdout_visibility\": \"visible\"") != NULL,
          "no stdout_visibility");
    CHECK(count_lines(j, "\"max_score\": [0-9]+") == oks,
          "results.json does not hold %d tests", oks);
    CHECK(strstr(j, "\"name\": \"step3: trace_console_gdb\"") != NULL,
          "test names are not 'stepN: name'");
    CHECK(count_lines(j, "\"visibility\": \"after_due_date\"") >= 1,
          "the table's per-test visibility is lost");
    CHECK(count_lines(j, "\"status\": \"passed\"") == oks, "not all passed");
  }
  char *x = read_text(junit, NULL);
  CHECK(x != NULL, "no %s", junit);
  if (x) {
    CHECK(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0,
          "junit.xml has no XML declaration");
    char tf[64];
    snprintf(tf, sizeof tf, "tests=\"%d\" failures=\"0\"", oks);
    CHECK(strstr(x, tf) != NULL, "junit: not %s", tf);
    CHECK(count_lines(x, "<testsuite name=\"step[0-9]+\"") >= 3,
          "junit: not one suite per stage");
    CHECK(count_lines(x, "<testcase ") == oks, "junit: not %d testcases", oks);
    CHECK(strstr(x, "</testsuites>\n") != NULL, "junit.xml is cut short");
  }
  if (getenv("HVTEST_VERBOSE") || c.status != 0)
    show_output(&c);
  free(j);
  free(x);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

TEST(grader_command_line) {
  grade_bin();
  struct proc c;
  run_grade(&c, (const char *const[]){"--help", NULL}, NULL, 10);
  CHECK(c.status == 0 && strstr(c.out, "usage: grade") &&
            strstr(c.out, "--json FILE") && strstr(c.out, "--junit FILE"),
        "--help");
  proc_free(&c);

  run_grade(&c, (const char *const[]){"--list", NULL}, NULL, 10);
  CHECK(c.status == 0, "--list exited %d", c.status);
  CHECK(count_lines(c.out, "^Total: [0-9]+ points$") == 1, "--list: no total");
  CHECK(count_lines(c.out, "^step[0-9]+ \\(step") >= 3,
        "--list: not all stages");
  CHECK(count_lines(c.out, "^  first_exit_gdb +4 ") == 1,
        "--list: first_exit_gdb is not listed with its 4 points");
  CHECK(count_lines(c.out, "^  wfi_is_an_exit +2 ") == 1 &&
            count_lines(c.out, "^  unhandled_exit +4 ") == 1,
        "--list: not wfi_is_an_exit 2 and unhandled_exit 4 points");
  // Stages 1-3 are worth 100 points together (20 + 20 + 60): a new test
  // takes its points from others (labs/GRADING.md lists them).
  int points = 0;
  for (int s = 1; s <= 3; s++) {
    char re[80];
    int p = -1;
    snprintf(re, sizeof re, "step%d (", s);
    const char *line = c.out;  // the line that starts with re
    while (line && strncmp(line, re, strlen(re)) != 0)
      line = (line = strchr(line, '\n')) ? line + 1 : NULL;
    const char *dash = line ? strstr(line, " -- ") : NULL;
    if (dash && sscanf(dash, " -- %d points", &p) == 1)
      points += p;
    else
      CHECK(0, "--list: no points for stage %d", s);
  }
  CHECK(points == 100, "stages 1-3 are worth %d points, not 100", points);
  proc_free(&c);

  // Mistakes get a message and status 2, not a run.
  const char *const *bad[] = {
      (const char *const[]){"--bogus", NULL},
      (const char *const[]){"--step", NULL},
      (const char *const[]){"--step", "9", NULL},
      (const char *const[]){"-j", "zero", NULL},
      (const char *const[]){"--build", build_dir(), "--test", "no_such", NULL},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    run_grade(&c, bad[i], NULL, 10);
    CHECK(c.exited && c.status == 2 && c.len > 0 &&
              count_lines(c.out, "Score") == 0,
          "%s %s: status %d, expected 2 and a message", bad[i][0],
          bad[i][1] ? bad[i][1] : "", c.status);
    proc_free(&c);
  }
}

TEST(grader_selects_tests) {
  grade_bin();
  if (built_stages() < 3)
    SKIP("stages 1-3 are not all built (make all)");
  char *dir = make_tmpdir("grade");
  struct proc c;
  // One test by exact name: exactly that one, its points the maximum,
  // and the test whose hardware evidence it needs (its gate) before it.
  int got, max;
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", dir,
                                  "--test", "first_exit_gdb", NULL},
            NULL, 30);
  CHECK(c.status == 0 && grade_score(c.out, &got, &max) == 0 && got == max &&
            count_lines(c.out, "\\.\\.\\. OK") == 2 &&
            count_lines(c.out, "^step3: guest_runs_gdb \\.\\.\\. OK") == 1 &&
            count_lines(c.out, "^step3: first_exit_gdb \\.\\.\\. OK") == 1,
        "--test first_exit_gdb: status %d", c.status);
  proc_free(&c);
  // stepN:name picks the stage too; a part of a name selects several.
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", dir,
                                  "--test", "step2:without_h", NULL},
            NULL, 30);
  CHECK(count_lines(c.out, "\\.\\.\\. OK") == 2 &&
            count_lines(c.out, "^step2: without_h \\.\\.\\. OK") == 1,
        "--test step2:without_h");
  proc_free(&c);
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", dir,
                                  "--test", "trace_", "-j1", NULL},
            NULL, 30);
  CHECK(count_lines(c.out, "^step3: trace_[a-z_]+ \\.\\.\\. OK") == 2 &&
            count_lines(c.out, "\\.\\.\\. (OK|FAIL)") == 3,
        "--test trace_: expected the two trace tests and their gate");
  proc_free(&c);
  // A task's id: the tests of its own stage that check it, and the gate.
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", dir,
                                  "--test", "lab3.6", NULL},
            NULL, 30);
  CHECK(count_lines(c.out, "^step3: (unhandled_exit|wfi_is_an_exit|"
                           "guest_runs_gdb) \\.\\.\\. OK") == 3 &&
            count_lines(c.out, "\\.\\.\\. (OK|FAIL)") == 3,
        "--test lab3.6: expected unhandled_exit, wfi_is_an_exit and the "
        "gate");
  proc_free(&c);
  // One stage.
  run_grade(&c,
            (const char *const[]){"--build", build_dir(), "--results", dir,
                                  "--step", "1", NULL},
            NULL, 30);
  CHECK(c.status == 0 &&
            count_lines(c.out, "^step1: [a-z0-9_]+ \\.\\.\\. OK") >= 5 &&
            count_lines(c.out, "^step[02-9][0-9]*: [a-z]") == 0 &&
            grade_score(c.out, &got, &max) == 0 && got == max,
        "--step 1: status %d", c.status);
  if (c.status != 0)
    show_output(&c);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// A stage that failed to build: every one of its tests says so, and the
// score counts it as 0 -- unless nothing at all is there to grade.
TEST(grader_missing_elf) {
  grade_bin();
  char *dir = make_tmpdir("grade");
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", dir, "--results", dir, "--step",
                                  "2", NULL},
            NULL, 10);
  CHECK(c.status == 1, "status %d, expected 1", c.status);
  int fails = count_lines(c.out, "^step2: [a-z0-9_]+ \\.\\.\\. FAIL");
  CHECK(fails >= 4 &&
            count_lines(c.out,
                        "^step2: [a-z0-9_]+ \\.\\.\\. FAIL \\([0-9.]+s\\): "
                        "not built: .*/step2/hv\\.elf is missing") == fails,
        "not a 'not built' verdict for each stage 2 test");
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == 0 && max > 0,
        "no 'Score: 0/N'");
  proc_free(&c);

  // Sources present (the repository is the cwd) but nothing built: all
  // three stages are graded, and fail.
  run_grade(&c, (const char *const[]){"--build", dir, "--results", dir, NULL},
            NULL, 10);
  CHECK(c.status == 1 && count_lines(c.out, "not built") >= 19 &&
            count_lines(c.out, "not built") == count_lines(c.out, "FAIL") &&
            grade_score(c.out, &got, &max) == 0 && got == 0,
        "sources without a build: status %d", c.status);
  proc_free(&c);

  run_grade(&c,
            (const char *const[]){"--build", dir, "--src", dir, "--results",
                                  dir, NULL},
            NULL, 10);
  CHECK(c.status == 2 && strstr(c.out, "nothing to grade"),
        "nothing built and no sources: status %d", c.status);
  proc_free(&c);
  remove_tree(dir);
  free(dir);
}

// The command line's forms and messages: "--opt VALUE", "--opt=VALUE",
// "-jN" and "-j N" all work; a missing value, a bad one, an unknown option
// and a stray argument each get their own message and status 2.
TEST(grader_option_forms) {
  grade_bin();
  static const struct {
    const char *args[4];
    int status;
    const char *want;
  } cases[] = {
      {{"--list", "-j3", NULL}, 0, "^Total: [0-9]+ points$"},
      {{"--list", "-j", "3", NULL}, 0, "^Total: [0-9]+ points$"},
      {{"--jobs=2", "--list", NULL}, 0, "^Total: [0-9]+ points$"},
      {{"--step=9", NULL}, 2, "^grade: stage 9 has no tests"},
      {{"--json", NULL}, 2, "^grade: --json needs a value$"},
      {{"-j0", NULL}, 2, "^grade: bad value '0' for -j$"},
      {{"--jobs", "x", NULL}, 2, "^grade: bad value 'x' for --jobs$"},
      {{"--timeout=nan", NULL}, 2, "^grade: bad value 'nan' for --timeout$"},
      {{"--bogus", NULL}, 2, "^grade: unknown option '--bogus'$"},
      {{"-x", NULL}, 2, "^grade: unknown option '-x'$"},
      {{"--list", "stray", NULL}, 2, "^grade: unknown option 'stray'$"},
      {{"-h", NULL}, 0, "^  -j, --jobs N +run N tests at a time"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct proc c;
    run_grade(&c, cases[i].args, NULL, 10);
    CHECK(c.exited && c.status == cases[i].status &&
              count_lines(c.out, cases[i].want) == 1,
          "grade %s %s: status %d, expected %d and /%s/:\n%s", cases[i].args[0],
          cases[i].args[1] ? cases[i].args[1] : "", c.status, cases[i].status,
          cases[i].want, c.out);
    proc_free(&c);
  }
}

// labs/GRADING.md: "Any other status (QEMU's own, or 32 and up) matches no
// test". A status is a bit in a mask (grade.h's ST): outside 0..31 it must
// be no bit at all, never a low one by a wrapped shift.
TEST(grader_status_mask_bounds) {
  int bad = 0;
  for (int n = -300; n < 70000; n++) {
    unsigned m = ST(n);
    int ok = n >= 0 && n < 32 ? m == 1u << n : m == 0;
    if (!ok && bad++ < 5)
      CHECK(0, "ST(%d) = %#x", n, m);
  }
  CHECK(ST(256) == 0 && ST(65536) == 0 && ST(260) == 0 && ST(32) == 0,
        "a status over 31 is in a mask");
}
