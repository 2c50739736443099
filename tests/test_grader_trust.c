// A grader a course can trust: no file a student owns is compiled into it
// (a header takeover changes nothing), a stage that does not compile or
// whose image is older than its sources scores 0 and the run still ends
// in a score and reports, and a QEMU its user quit is no pass.

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../grader/tasks.h"
#include "test_grader.h"

// The make the tests run must not inherit `make test T=...`'s variables.
static const char *const clean_env[] = {
    "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=", NULL};

static int have_cross_compiler(void) {
  return system("command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || "
                "command -v riscv64-linux-gnu-gcc >/dev/null 2>&1") == 0;
}

static void need_repo(void) {
  if (access("Makefile", R_OK) != 0 || access("grader/tasks.c", R_OK) != 0)
    SKIP("not run from the repository's top directory");
}

// Every dependency make recorded for the host programs' objects (the
// compiler's own -MMD lists: every header it really opened) is outside
// the files students own. The monitor is left out until it stops reading
// step2-vmcs/vcpu.h; the test runner until test_dtb stops compiling the
// runtime's parser (both are instructor tools, not the grader).
TEST(grader_trust_boundary_deps) {
  need_repo();
  static const char *const dirs[] = {"grader", "hostlib", "tools", "bench",
                                     NULL};
  int files = 0, bad = 0;
  for (int d = 0; dirs[d]; d++) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cat %s/host/obj/%s/*.d 2>/dev/null", build_dir(),
             dirs[d]);
    FILE *p = popen(cmd, "r");
    if (!p)
      continue;
    char tok[1024];
    while (fscanf(p, "%1023s", tok) == 1) {
      size_t n = strlen(tok);
      if (n && tok[n - 1] == ':')
        continue;  // a target
      if (strcmp(tok, "\\") == 0)
        continue;
      files++;
      if (path_owned(tok, 5)) {
        CHECK(0, "a %s object is built from %s, which a student owns", dirs[d],
              tok);
        bad++;
      }
    }
    pclose(p);
  }
  if (files == 0)
    SKIP("no dependency files under the build directory (make all)");
  CHECK(files > 50, "only %d dependencies recorded", files);
  (void)bad;
}

static const char planted[] =
    "\n#if !defined(__riscv)\n"
    "#include <stdio.h>\n#include <stdlib.h>\n"
    "__attribute__((constructor)) static void hvlab_planted(void) {\n"
    "  printf(\"PLANTED\\nScore: 100/100\\n\");\n"
    "  exit(0);\n}\n#endif\n";

// The header takeover: a constructor for host programs planted in every
// header a student owns. The grader built from that tree is the grader
// of the instructor's files alone: it never prints the planted score,
// grades an unbuilt stage 0 and the reference's full marks.
TEST(grader_header_takeover) {
  need_repo();
  grade_bin();
  char *tmp = make_tmpdir("takeover");
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cp -r Makefile mk include hostlib grader tools runtime step* '%s/' "
           "&& rm -f '%s/tools/handout.c'",
           tmp, tmp);
  CHECK(system(cmd) == 0, "copying failed");
  // Plant it in every header under runtime/ and step*/.
  snprintf(cmd, sizeof cmd, "cd '%s' && find runtime step* -name '*.h'", tmp);
  FILE *p = popen(cmd, "r");
  char rel[512];
  int planted_in = 0;
  while (p && fgets(rel, sizeof rel, p)) {
    rel[strcspn(rel, "\n")] = 0;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    char *text = read_text(path, NULL);
    if (!text)
      continue;
    char *more = malloc(strlen(text) + sizeof planted);
    strcpy(more, text);
    strcat(more, planted);
    CHECK(write_text(path, more, 0644) == 0, "cannot write %s", path);
    planted_in++;
    free(more);
    free(text);
  }
  if (p)
    pclose(p);
  CHECK(planted_in >= 5, "planted in only %d headers", planted_in);

  char build[700], bv[800], target[800];
  snprintf(build, sizeof build, "%s/build", tmp);
  snprintf(bv, sizeof bv, "BUILD=%s", build);
  snprintf(target, sizeof target, "%s/host/grade", build);
  char *make[] = {"make", "-s", "-j2", "-C", tmp, bv, target, NULL};
  struct proc mk;
  CHECK(cmd_start(&mk, make, clean_env, -1, 300) == 0, "cannot run make");
  proc_wait(&mk);
  CHECK(mk.exited && mk.status == 0, "building the grader failed (%d)",
        mk.status);
  if (!mk.exited || mk.status != 0)
    show_output(&mk);
  proc_free(&mk);

  snprintf(cmd, sizeof cmd, "nm '%s' | grep -q hvlab_planted", target);
  CHECK(system(cmd) != 0, "the planted constructor is in the grader");

  // Nothing built: stage 1 scores 0, and says so.
  char empty[700], results[700];
  snprintf(empty, sizeof empty, "%s/empty", tmp);
  snprintf(results, sizeof results, "%s/results", tmp);
  mkdir(empty, 0777);
  char *argv[] = {target,  "--step",    "1",         "--build", empty,
                  "--src", "/nonexist", "--results", results,   NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 60) == 0, "cannot run the grader");
  proc_wait(&c);
  int got = -1, max = -1;
  CHECK(c.exited && c.status == 1, "the grader exited %d, expected 1",
        c.status);
  CHECK(grade_score(c.out, &got, &max) == 0 && got == 0 && max == 20,
        "Score %d/%d; expected 0/20", got, max);
  CHECK(count_lines(c.out, "PLANTED") == 0, "the planted code ran");
  if (getenv("HVTEST_VERBOSE") || count_lines(c.out, "PLANTED"))
    show_output(&c);
  proc_free(&c);
  remove_tree(tmp);
  free(tmp);
}

// A copy of the repository and of its build, with the modification times
// kept, so make rebuilds only what the test changes.
static char *copy_built_tree(char *build, size_t n) {
  need_repo();
  grade_bin();
  if (!have_cross_compiler())
    SKIP("no RISC-V cross compiler");
  char elf[600];
  snprintf(elf, sizeof elf, "%s/step3/hv.elf", build_dir());
  if (access(elf, R_OK) != 0)
    SKIP("stage 3 is not built (make all)");
  char *tmp = make_tmpdir("built");
  // (Stages 1-3 only: their sources and images, the tests' 100 points.)
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cp -a Makefile mk include hostlib grader tools runtime step1-vmxon "
           "step2-vmcs step3-guest '%s/' && cp -a '%s' '%s/bld' && "
           "rm -rf '%s/bld/step4' '%s/bld/step5'",
           tmp, build_dir(), tmp, tmp, tmp);
  CHECK(system(cmd) == 0, "copying failed: %s", cmd);
  snprintf(build, n, "%s/bld", tmp);
  return tmp;
}

static void append(const char *dir, const char *file, const char *text) {
  char path[800];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  char *old = read_text(path, NULL);
  CHECK(old != NULL, "cannot read %s", path);
  if (!old)
    return;
  char *s = malloc(strlen(old) + strlen(text) + 1);
  strcpy(s, old);
  strcat(s, text);
  CHECK(write_text(path, s, 0644) == 0, "cannot write %s", path);
  free(s);
  free(old);
}

// A stage 3 that does not compile: make grade still ends in a score (0
// for stage 3, with the compiler's error as the reason) and writes the
// JSON; the old stage 3 image is never run.
TEST(grader_compile_error_scores_zero) {
  char build[700];
  char *tmp = copy_built_tree(build, sizeof build);
  append(tmp, "step3-guest/exits.c", "\nint hvlab_broken = ;\n");
  char bv[800], gf[900], json[700];
  snprintf(json, sizeof json, "%s/results.json", tmp);
  snprintf(bv, sizeof bv, "BUILD=%s", build);
  snprintf(gf, sizeof gf, "GRADEFLAGS=--json %s --results %s/res", json, tmp);
  char *make[] = {"make", "-s", "-C", tmp, bv, "grade", gf, "T=", NULL};
  struct proc mk;
  CHECK(cmd_start(&mk, make, clean_env, -1, 300) == 0, "cannot run make");
  proc_wait(&mk);
  CHECK(mk.exited && mk.status != 0, "make grade exited %d", mk.status);
  int got = -1, max = -1;
  CHECK(grade_score(mk.out, &got, &max) == 0 && got == 40 && max == 100,
        "Score %d/%d; expected 40/100 (stage 3 does not compile)", got, max);
  CHECK(count_lines(mk.out, "^hvlab: stage 3 does not build") == 1,
        "make grade did not say stage 3 does not build");
  CHECK(count_lines(mk.out,
                    "^step3: [a-z_]+ \\.\\.\\. FAIL \\([0-9.]+s\\): "
                    "does not compile: .*exits\\.c:[0-9]+.*error") == 12,
        "not every stage 3 test failed with the compiler's error");
  CHECK(count_lines(mk.out, "^step[12]: [a-z_]+ \\.\\.\\. OK") == 10,
        "stages 1 and 2 did not all pass");
  CHECK(count_lines(mk.out, "hvlab_broken = ;") >= 1,
        "the offending line is not shown");
  char *j = read_text(json, NULL);
  char why[200] = "";
  CHECK(j && json_valid(j, why, sizeof why) &&
            strstr(j, "\"score\": 40,") != NULL,
        "results.json missing, invalid (%s) or without score 40", why);
  free(j);
  char elf[800];
  snprintf(elf, sizeof elf, "%s/step3/hv.elf", build);
  CHECK(access(elf, F_OK) != 0, "the old stage 3 image was left in place");
  if (getenv("HVTEST_VERBOSE") || got != 40)
    show_output(&mk);
  proc_free(&mk);
  remove_tree(tmp);
  free(tmp);
}

// An image older than a file it is built from is refused, for its stage
// and every later one, even when the grader is run by hand without make.
TEST(grader_refuses_stale_image) {
  char build[700];
  char *tmp = copy_built_tree(build, sizeof build);
  char path[800];
  snprintf(path, sizeof path, "%s/step2-vmcs/vcpu.c", tmp);
  // An edit made after the build (the copy keeps the old times).
  append(tmp, "step2-vmcs/vcpu.c", "\n// edited after the build\n");
  char results[800];
  snprintf(results, sizeof results, "%s/res", tmp);
  struct proc c;
  run_grade(&c,
            (const char *const[]){"--build", build, "--src", tmp, "--results",
                                  results, NULL},
            NULL, 120);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == 20 && max == 100,
        "Score %d/%d; expected 20/100 (stages 2 and 3 stale)", got, max);
  CHECK(count_lines(c.out, "^step[23]: [a-z_]+ \\.\\.\\. FAIL \\([0-9.]+s\\): "
                           "stale image: .*step2-vmcs/vcpu\\.c is newer") == 17,
        "not every stage 2 and 3 test was refused as stale");
  CHECK(count_lines(c.out, "^step1: [a-z_]+ \\.\\.\\. OK") == 5,
        "stage 1 did not pass");
  if (getenv("HVTEST_VERBOSE") || got != 20)
    show_output(&c);
  proc_free(&c);
  remove_tree(tmp);
  free(tmp);
}

// A QEMU its user quits (Ctrl-A X) exits with status 0 after printing
// "QEMU: Terminated": not a pass, even after every expected line.
TEST(grader_ctrl_a_x_is_no_pass) {
  char elf[512];
  grade_bin();
  snprintf(elf, sizeof elf, "%s/step1/hv.elf", build_dir());
  if (access(elf, R_OK) != 0)
    SKIP("stage 1 is not built (make all)");
  char *dir = make_tmpdir("quit");
  static const char lines[] =
      "printf 'step1: turning on virtualization\\n'\n"
      "printf '  H by probe    : yes (csrr hstatus = 0000000200000000)\\n'\n"
      "printf '  H in isa      : yes\\n  VSXL          : 2 (64-bit)\\n'\n"
      "printf '  VMID bits     : 14 (many)\\n'\n"
      "printf '  hedeleg       : 000000000000b1ff writable\\n'\n"
      "printf '  hideleg       : 0000000000001444 writable\\n'\n"
      "printf 'step1: PASS: H extension present and configured\\n'\n";
  for (int quit = 0; quit < 2; quit++) {
    char path[700], text[2048];
    snprintf(path, sizeof path, "%s/qemu%d", dir, quit);
    snprintf(text, sizeof text, "#!/bin/sh\n%s%s\nexit 0\n", lines,
             quit ? "printf 'QEMU: Terminated\\n\\r'" : "");
    CHECK(write_text(path, text, 0755) == 0, "cannot write %s", path);
    char results[700];
    snprintf(results, sizeof results, "%s/res%d", dir, quit);
    struct proc c;
    run_grade(&c,
              (const char *const[]){"--step", "1", "--test", "h_detected",
                                    "--qemu", path, "--results", results, NULL},
              NULL, 60);
    if (quit)
      CHECK(count_lines(c.out,
                        "^step1: h_detected \\.\\.\\. FAIL "
                        "\\([0-9.]+s\\): QEMU was quit \\(Ctrl-A X\\)") == 1,
            "a QEMU quit by its user was not reported as such");
    else
      // (It passes on its own; its gate, a gdb probe, cannot here.)
      CHECK(count_lines(c.out, "^step1: h_detected \\.\\.\\. FAIL "
                               "\\([0-9.]+s\\): not counted: ") == 1,
            "the fake QEMU's console does not pass (the test proves "
            "nothing)");
    if (getenv("HVTEST_VERBOSE"))
      show_output(&c);
    proc_free(&c);
  }
  remove_tree(dir);
  free(dir);
}
