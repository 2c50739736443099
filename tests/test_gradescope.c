// make gradescope's autograder, run as Gradescope would, against a fake
// /autograder in a temporary folder (AUTOGRADER_ROOT): the reference's
// files as a submission get full marks, the student edition's own files
// (with a forged grader and Makefile beside them, which must be ignored)
// get the edition's score, and each run leaves a valid results.json.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_grader.h"

static int have_cross_compiler(void) {
  return system("command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || "
                "command -v riscv64-linux-gnu-gcc >/dev/null 2>&1") == 0;
}

// Run A/source/run_autograder with AUTOGRADER_ROOT=A; returns the score
// in A/results/results.json, or -1.
static int run_autograder(const char *a, struct proc *c) {
  char prog[700], root[720];
  snprintf(prog, sizeof prog, "%s/source/run_autograder", a);
  snprintf(root, sizeof root, "AUTOGRADER_ROOT=%s", a);
  const char *env[] = {root, "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=", NULL};
  char *argv[] = {prog, NULL};
  CHECK(cmd_start(c, argv, env, -1, 600) == 0, "cannot run %s", prog);
  proc_wait(c);
  CHECK(c->exited && c->status == 0, "run_autograder exited %d", c->status);
  char json[720];
  snprintf(json, sizeof json, "%s/results/results.json", a);
  char *j = read_text(json, NULL), why[200] = "";
  int score = -1;
  const char *s = j ? strstr(j, "\"score\": ") : NULL;
  CHECK(j && json_valid(j, why, sizeof why) && s &&
            sscanf(s, "\"score\": %d", &score) == 1,
        "results.json missing or not valid JSON (%s)", why);
  CHECK(j && count_lines(j, "\"name\": \"step3: grader_guest_gdb\"") == 1,
        "results.json has no per-test results");
  free(j);
  return score;
}

// The most points the grader gives: "Total: N points" of grade --list.
static int grader_total(void) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "%s/host/grade --list 2>&1", build_dir());
  FILE *f = popen(cmd, "r");
  char line[512];
  int total = -1;
  while (f && fgets(line, sizeof line, f))
    sscanf(line, "Total: %d points", &total);
  if (f)
    pclose(f);
  return total;
}

TEST(gradescope_autograder_runs) {
  grade_bin();
  if (!have_cross_compiler())
    SKIP("no RISC-V cross compiler");
  if (access("Makefile", R_OK) != 0 || access("grader/tasks.c", R_OK) != 0)
    SKIP("not run from the repository's top directory");
  char hb[600];
  snprintf(hb, sizeof hb, "%s/host/handout", build_dir());
  if (access(hb, X_OK) != 0)
    SKIP("the handout builder is not built (make all)");
  char *tmp = make_tmpdir("gradescope");
  char cmd[4096];
  // The package, unpacked where Gradescope puts it.
  snprintf(cmd, sizeof cmd,
           "'%s' --gradescope '%s/pkg' >/dev/null && cd '%s/pkg' && "
           "zip -qr ../autograder.zip . && mkdir -p '%s/A/source' && "
           "cd '%s/A/source' && unzip -q '%s/autograder.zip'",
           hb, tmp, tmp, tmp, tmp, tmp);
  CHECK(system(cmd) == 0, "packaging failed: %s", cmd);

  // 1. The reference's own files: full marks, every stage the grader has.
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/A/submission' && cp -r runtime step1-vmxon "
           "step2-vmcs step3-guest '%s/A/submission/' && "
           "{ ! test -d step4-mem || cp -r step4-mem '%s/A/submission/'; } "
           "&& { ! test -d step5-devices || cp -r step5-devices "
           "'%s/A/submission/'; }",
           tmp, tmp, tmp, tmp);
  CHECK(system(cmd) == 0, "%s", cmd);
  int full = grader_total();
  struct proc c;
  char a[700];
  snprintf(a, sizeof a, "%s/A", tmp);
  int s = run_autograder(a, &c);
  CHECK(s == full && full >= 100, "the reference scores %d, expected %d", s,
        full);
  CHECK(count_lines(c.out, "^hvlab: graded your step3-guest$") == 1,
        "the submission's step3-guest was not taken");
  if (s != full || getenv("HVTEST_VERBOSE"))
    show_output(&c);
  proc_free(&c);

  // 2. The student edition's files, in one folder (a zipped repository),
  // with a grader and a Makefile that print full marks: not taken.
  snprintf(cmd, sizeof cmd,
           "rm -rf '%s/A/submission' '%s/A/results' && mkdir -p "
           "'%s/A/submission/repo/grader' && cp -r '%s/pkg/hvlab/runtime' "
           "'%s/pkg/hvlab/step1-vmxon' '%s/pkg/hvlab/step2-vmcs' "
           "'%s/pkg/hvlab/step3-guest' '%s/A/submission/repo/' && "
           "printf 'grade:\\n\\techo Score: 100/100\\n' > "
           "'%s/A/submission/repo/Makefile' && "
           "printf 'int main(void){return 0;}\\n' > "
           "'%s/A/submission/repo/grader/main.c'",
           tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp, tmp);
  CHECK(system(cmd) == 0, "%s", cmd);
  s = run_autograder(a, &c);
  CHECK(s == 0,
        "the student edition scores %d, expected 0 (every test "
        "needs a task)",
        s);
  CHECK(count_lines(c.out, "task not attempted: lab1\\.1") >= 1,
        "the edition's stubs are not reported as tasks not attempted");
  CHECK(count_lines(c.out, "^hvlab: graded your (Makefile|grader)") == 0,
        "files the student does not own were taken");
  if (s != 0 || getenv("HVTEST_VERBOSE"))
    show_output(&c);
  proc_free(&c);
  remove_tree(tmp);
  free(tmp);
}
