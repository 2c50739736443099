// The student edition, task by task: make handout's trees build, each
// task's stub fails exactly the tests grader/tasks.c says check it (and
// no other, each with "task not attempted: labN.M"), the edition with
// every task a stub scores exactly the points of the tests no task
// touches, and the reference scores full marks. Stage-independent: it
// reads the tasks from grader/tasks.c and the tests from `grade --list`,
// so stages 4 and 5 are proved the same way once they have tasks.

#include <regex.h>
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

#define MAX_T 128

struct listed {
  int stage, points;
  char name[64];
};

// The tests and their points, from `grade --list`.
static int list_tests(struct listed *t, int max) {
  struct proc c;
  run_grade(&c, (const char *const[]){"--list", NULL}, NULL, 30);
  int n = 0, stage = 0;
  for (const char *s = c.out ? c.out : ""; *s && n < max;) {
    size_t len = strcspn(s, "\n");
    int st, pts;
    char name[64];
    if (sscanf(s, "step%d ", &st) == 1)
      stage = st;
    else if (s[0] == ' ' && sscanf(s, " %63s %d", name, &pts) == 2) {
      t[n].stage = stage;
      t[n].points = pts;
      snprintf(t[n].name, sizeof t[n].name, "%s", name);
      n++;
    }
    s += len + (s[len] == '\n');
  }
  proc_free(&c);
  CHECK(n > 0, "grade --list listed no tests");
  return n;
}

static int stage_built(int n) {
  char elf[512];
  snprintf(elf, sizeof elf, "%s/step%d/hv.elf", build_dir(), n);
  return access(elf, R_OK) == 0;
}

// Tasks of the stages that are built here.
static int task_here(const struct gtask *t) {
  return stage_built(task_stage(t));
}

// A stage's points: its tasks' points and its tests that no task of that
// stage touches must add up to the stage's total, so the handout's
// "worth N points" is the truth.
TEST(tasks_points_add_up) {
  grade_bin();
  struct listed t[MAX_T];
  int n = list_tests(t, MAX_T);
  for (int s = 1; s <= 5; s++) {
    int total = 0, free_pts = 0, task_pts = 0, ntasks = 0;
    for (int i = 0; i < n; i++)
      if (t[i].stage == s) {
        total += t[i].points;
        int covered = 0;
        for (int k = 0; k < grade_ntasks; k++)
          covered |= task_stage(&grade_tasks[k]) == s &&
                     task_covers(&grade_tasks[k], s, t[i].name);
        if (!covered)
          free_pts += t[i].points;
      }
    for (int k = 0; k < grade_ntasks; k++)
      if (task_stage(&grade_tasks[k]) == s) {
        task_pts += grade_tasks[k].points;
        ntasks++;
      }
    if (!ntasks)
      continue;
    CHECK(ntasks >= 3 && ntasks <= 6, "stage %d has %d tasks; 3-6 wanted", s,
          ntasks);
    CHECK(task_pts + free_pts == total,
          "stage %d: tasks %d + tests no task touches %d != %d points", s,
          task_pts, free_pts, total);
  }
  // Every task has its section in its handout, with the same title and
  // points: "### Task lab3.2: save the guest's registers at an exit (14
  // points)".
  for (int k = 0; k < grade_ntasks; k++) {
    const struct gtask *g = &grade_tasks[k];
    char *doc = read_text(g->handout, NULL), head[200];
    snprintf(head, sizeof head, "\n### Task %s: %s (%d points)\n", g->id,
             g->title, g->points);
    CHECK(doc && strstr(doc, head), "%s has no section \"%.*s\"", g->handout,
          (int)strlen(head) - 2, head + 1);
    free(doc);
  }
  // Every test a task names exists.
  for (int k = 0; k < grade_ntasks; k++)
    for (int j = 0; j < 24 && grade_tasks[k].tests[j]; j++) {
      const char *name = grade_tasks[k].tests[j];
      int st = atoi(name + 4), found = 0;
      const char *colon = strchr(name, ':');
      for (int i = 0; i < n && colon; i++)
        found |= t[i].stage == st && (strcmp(colon + 1, "*") == 0 ||
                                      strcmp(colon + 1, t[i].name) == 0);
      CHECK(found, "%s names %s, which is no test", grade_tasks[k].id, name);
    }
}

static int have_cross_compiler(void) {
  return system("command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || "
                "command -v riscv64-linux-gnu-gcc >/dev/null 2>&1") == 0;
}

static const char *handout_bin(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s/host/handout", build_dir());
  if (access(path, X_OK) != 0)
    SKIP("the handout builder is not built (make all)");
  return path;
}

// handout --out dir [--only id]; CHECKs it succeeded.
static int write_edition(const char *dir, const char *only) {
  char *argv[] = {(char *)handout_bin(),  "--out",      (char *)dir,
                  only ? "--only" : NULL, (char *)only, NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 60) == 0, "cannot run handout");
  proc_wait(&c);
  int ok = c.exited && c.status == 0;
  CHECK(ok, "handout --out %s%s%s failed (%d)", dir, only ? " --only " : "",
        only ? only : "", c.status);
  if (!ok)
    show_output(&c);
  proc_free(&c);
  return ok ? 0 : -1;
}

struct tree {
  const struct gtask *only;  // NULL: every task a stub
  char dir[600], build[700];
  struct proc mk;
  int ok;
};

// One grader line: "stepN: name ... OK" or "... FAIL (1.0s): reason".
static const char *verdict(const char *out, int stage, const char *name,
                           int *passed) {
  char head[128];
  snprintf(head, sizeof head, "step%d: %s ... ", stage, name);
  for (const char *s = out; (s = strstr(s, head)); s++)
    if (s == out || s[-1] == '\n') {
      const char *v = s + strlen(head);
      *passed = strncmp(v, "OK", 2) == 0;
      return v;
    }
  *passed = -1;
  return NULL;
}

TEST(handout_task_by_task) {
  grade_bin();
  handout_bin();
  if (!have_cross_compiler())
    SKIP("no RISC-V cross compiler: cannot build the student edition");
  if (access("Makefile", R_OK) != 0 || access("grader/tasks.c", R_OK) != 0)
    SKIP("not run from the repository's top directory");
  if (!stage_built(1))
    SKIP("stage 1 is not built (make all)");
  struct listed t[MAX_T];
  int nt = list_tests(t, MAX_T);
  double t0 = now_seconds();

  char *tmp = make_tmpdir("tasks");
  struct tree *trees = calloc((size_t)grade_ntasks + 1, sizeof *trees);
  int n = 0;
  for (int k = -1; k < grade_ntasks; k++) {
    if (k >= 0 && !task_here(&grade_tasks[k]))
      continue;
    struct tree *tr = &trees[n++];
    tr->only = k >= 0 ? &grade_tasks[k] : NULL;
    snprintf(tr->dir, sizeof tr->dir, "%s/%s", tmp,
             tr->only ? tr->only->id : "all");
    snprintf(tr->build, sizeof tr->build, "%s/build", tr->dir);
    // (The others are written once the first is built: see below.)
    tr->ok = k >= 0 || write_edition(tr->dir, NULL) == 0;
  }
  double t_write = now_seconds() - t0;

  // Build the stages (the host tools are the reference's): the edition
  // with every task a stub first, with make -j2 (the machine has 2
  // cores); then the others two at a time, each written after that build
  // and starting from a copy of it. The builder keeps the time of every
  // file it copies unchanged, so make recompiles only the files with a
  // task in them, which are newer than the copied objects.
  for (int i = 0; i < n;) {
    int first = i == 0, upto = first ? 1 : i + 2;
    for (int j = i; j < n && j < upto; j++) {
      char bv[800], cmd[1600];
      snprintf(bv, sizeof bv, "BUILD=%s", trees[j].build);
      if (!first)
        trees[j].ok = write_edition(trees[j].dir, trees[j].only->id) == 0;
      if (!first && trees[0].ok && trees[j].ok) {
        snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", trees[0].build,
                 trees[j].build);
        CHECK(system(cmd) == 0, "%s failed", cmd);
      }
      char *argv[] = {"make", "-s",     "-C",     trees[j].dir,
                      bv,     "stages", "guests", first ? "-j2" : NULL,
                      NULL};
      if (trees[j].ok)
        trees[j].ok = cmd_start(&trees[j].mk, argv, clean_env, -1, 300) == 0;
    }
    for (int j = i; j < n && j < upto; j++) {
      if (!trees[j].ok)
        continue;
      proc_wait(&trees[j].mk);
      trees[j].ok = trees[j].mk.exited && trees[j].mk.status == 0 &&
                    count_lines(trees[j].mk.out, "warning") == 0;
      CHECK(trees[j].ok, "the edition %s does not build warning-free (%d)",
            trees[j].dir, trees[j].mk.status);
      if (!trees[j].ok)
        show_output(&trees[j].mk);
      proc_free(&trees[j].mk);
    }
    i = upto;
  }
  double t_build = now_seconds() - t0 - t_write;

  for (int i = 0; i < n; i++) {
    struct tree *tr = &trees[i];
    if (!tr->ok)
      continue;
    char results[700];
    snprintf(results, sizeof results, "%s/results", tr->dir);
    struct proc c;
    run_grade(&c,
              (const char *const[]){"--build", tr->build, "--src", tr->dir,
                                    "--results", results, NULL},
              NULL, 120);
    int expect_pts = 0, max_pts = 0, bad = 0;
    for (int k = 0; k < nt; k++) {
      if (!stage_built(t[k].stage))
        continue;
      int hit = 0;
      if (tr->only)
        hit = task_covers(tr->only, t[k].stage, t[k].name);
      else
        for (int m = 0; m < grade_ntasks; m++)
          hit |= task_here(&grade_tasks[m]) &&
                 task_covers(&grade_tasks[m], t[k].stage, t[k].name);
      max_pts += t[k].points;
      expect_pts += hit ? 0 : t[k].points;
      int passed;
      const char *v =
          verdict(c.out ? c.out : "", t[k].stage, t[k].name, &passed);
      const char *who = tr->only ? tr->only->id : "every task";
      if (!v) {
        CHECK(0, "%s: step%d:%s was not graded", who, t[k].stage, t[k].name);
        bad++;
      } else if (hit && passed) {
        CHECK(0, "with %s a stub, step%d:%s passes; tasks.c says it checks it",
              who, t[k].stage, t[k].name);
        bad++;
      } else if (!hit && !passed) {
        CHECK(0,
              "with %s a stub, step%d:%s fails; tasks.c says it does not "
              "check it",
              who, t[k].stage, t[k].name);
        bad++;
      } else if (hit && tr->only && !strstr(v, "task not attempted")) {
        CHECK(0,
              "with %s a stub, step%d:%s fails, but not as \"task not "
              "attempted\"",
              who, t[k].stage, t[k].name);
        bad++;
      }
    }
    int got = -1, max = -1;
    CHECK(grade_score(c.out, &got, &max) == 0 && got == expect_pts &&
              max == max_pts,
          "%s: Score %d/%d, expected %d/%d", tr->only ? tr->only->id : "all",
          got, max, expect_pts, max_pts);
    // The edition as handed out: a stage all of whose points are in its
    // tasks (4, 5) scores 0 on its own line until they are written.
    for (int s = 4; s <= 5 && !tr->only; s++) {
      int sg = -1, sm = -1;
      if (stage_built(s))
        CHECK(stage_score(c.out, s, &sg, &sm) == 0 && sg == 0 && sm > 0,
              "the student edition scores %d/%d on stage %d, not 0", sg, sm, s);
    }
    if (bad || getenv("HVTEST_VERBOSE"))
      show_output(&c);
    proc_free(&c);
  }

  // The reference: full marks.
  struct proc c;
  char results[700];
  snprintf(results, sizeof results, "%s/ref-results", tmp);
  run_grade(
      &c,
      (const char *const[]){"--build", build_dir(), "--results", results, NULL},
      NULL, 120);
  int got = -1, max = -1;
  CHECK(grade_score(c.out, &got, &max) == 0 && got == max && max > 0,
        "the reference scores %d/%d", got, max);
  proc_free(&c);
  printf("    %d editions: written and built in %.1fs, graded in %.1fs\n", n,
         t_write + t_build, now_seconds() - t0 - t_write - t_build);
  free(trees);
  remove_tree(tmp);
  free(tmp);
}

// A line of a solution quoted anywhere but in the handouts (which say
// "[your code: task ...]" there instead) makes the builder refuse the
// edition, and not leave it looking usable.
static void plant(const char *path, const char *line) {
  char *text = read_text(path, NULL);
  CHECK(text != NULL, "no %s", path);
  if (!text)
    return;
  char *more = malloc(strlen(text) + strlen(line) + 2);
  sprintf(more, "%s%s\n", text, line);
  write_text(path, more, 0644);
  free(more);
  free(text);
}

TEST(handout_refuses_solution_text) {
  handout_bin();
  if (access("Makefile", R_OK) != 0 || access("grader/tasks.c", R_OK) != 0)
    SKIP("not run from the repository's top directory");
  char *tmp = make_tmpdir("leak");
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/src' && cp -r Makefile README.md include runtime "
           "step1-vmxon mk hostlib grader labs '%s/src/'",
           tmp, tmp);
  CHECK(system(cmd) == 0, "copying failed: %s", cmd);
  // A line of lab1.3's solution, quoted in a handout and in README.md.
  static const char quote[] =
      "    h_hcounteren = HCOUNTEREN_CY | HCOUNTEREN_TM | HCOUNTEREN_IR;";
  char path[700];
  snprintf(path, sizeof path, "%s/src/labs/README.md", tmp);
  plant(path, quote);
  snprintf(path, sizeof path, "%s/src/README.md", tmp);
  plant(path, quote);
  char src[700], out[700];
  snprintf(src, sizeof src, "%s/src", tmp);
  snprintf(out, sizeof out, "%s/out", tmp);
  char *argv[] = {(char *)handout_bin(), "--src", src, "--out", out, NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 60) == 0, "cannot run handout");
  proc_wait(&c);
  CHECK(c.exited && c.status == 1, "handout exited %d, expected 1", c.status);
  CHECK(count_lines(c.out, "out/README\\.md:[0-9]+ holds solution text: "
                           "h_hcounteren = HCOUNTEREN_CY") == 1,
        "the solution line quoted in README.md was not reported");
  CHECK(count_lines(c.out, "labs/README\\.md:[0-9]+ holds") == 0,
        "the quote in a handout was not replaced");
  CHECK(count_lines(c.out, "is not usable") == 1, "no final refusal");
  snprintf(path, sizeof path, "%s/out/labs/README.md", tmp);
  char *doc = read_text(path, NULL);
  CHECK(doc && count_lines(doc, "^    \\[your code: task lab1\\.3\\]$") == 1,
        "the handout does not say \"[your code: task lab1.3]\" where it "
        "quoted the solution");
  free(doc);
  if (getenv("HVTEST_VERBOSE"))
    show_output(&c);
  proc_free(&c);
  remove_tree(tmp);
  free(tmp);
}

// The student edition: no marker, no stub placeholder, every stage's
// task stubs named, the Classroom workflow there, and not one file of the
// grader's own tests.
TEST(handout_edition_contents) {
  handout_bin();
  if (access("grader/tasks.c", R_OK) != 0)
    SKIP("not run from the repository's top directory");
  char *tmp = make_tmpdir("edition");
  char out[700];
  snprintf(out, sizeof out, "%s/ed", tmp);
  if (write_edition(out, NULL) == 0) {
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "grep -rlE 'BEGIN TASK lab|@TODO@' '%s/runtime' '%s'/step* "
             ">/dev/null",
             out, out);
    CHECK(system(cmd) != 0, "markers left in the edition");
    for (int k = 0; k < grade_ntasks; k++) {
      if (!task_here(&grade_tasks[k]))
        continue;
      snprintf(cmd, sizeof cmd,
               "grep -rqF 'hv_todo(\"%s (' '%s'/step* || grep -rqF '\"%s (' "
               "'%s'/step*",
               grade_tasks[k].id, out, grade_tasks[k].id, out);
      CHECK(system(cmd) == 0, "no stub names %s", grade_tasks[k].id);
    }
    char p[800];
    snprintf(p, sizeof p, "%s/.github/workflows/classroom.yml", out);
    char *wf = read_text(p, NULL);
    CHECK(wf && strstr(wf, "make grade"), "no Classroom workflow running make "
                                          "grade");
    free(wf);
    snprintf(p, sizeof p, "%s/tests", out);
    CHECK(access(p, F_OK) != 0, "the grader's own tests are in the edition");
    snprintf(p, sizeof p, "%s/.git", out);
    CHECK(access(p, F_OK) != 0, "the edition has a git history");
  }
  // STEP=2: stages 1 and 2 only, stage 1 solved, stage 2 to do.
  snprintf(out, sizeof out, "%s/ed2", tmp);
  char *argv[] = {(char *)handout_bin(), "--out", out, "--step", "2", NULL};
  struct proc c;
  CHECK(cmd_start(&c, argv, NULL, -1, 60) == 0, "cannot run handout");
  proc_wait(&c);
  CHECK(c.exited && c.status == 0 &&
            count_lines(c.out, "stages 1\\.\\.2 \\(3 tasks to write\\)") == 1,
        "handout --step 2 failed or did not hand out 3 tasks");
  proc_free(&c);
  char cmd[3000];
  snprintf(cmd, sizeof cmd,
           "test ! -e '%s/step3-guest' && test ! -e '%s/labs/step3-guest.md' "
           "&& ! grep -rq hv_todo '%s/step1-vmxon' && grep -q "
           "'hv_todo(\"lab2.2 (' '%s/step2-vmcs/vcpu.c'",
           out, out, out, out);
  CHECK(system(cmd) == 0, "the STEP=2 edition is not stages 1-2 with stage 1 "
                          "solved and stage 2 to do");
  // Every edition's Makefile finds a rule for everything `make all` needs.
  for (int step = 1; step <= 4; step++) {
    char st[8];
    snprintf(st, sizeof st, "%d", step);
    snprintf(out, sizeof out, "%s/ed-step%d", tmp, step);
    char *a[] = {(char *)handout_bin(), "--out", out, "--step", st, NULL};
    CHECK(cmd_start(&c, a, NULL, -1, 60) == 0, "cannot run handout");
    proc_wait(&c);
    proc_free(&c);
    snprintf(cmd, sizeof cmd,
             "MAKEFLAGS= make -s -n -C '%s' all >/dev/null 2>&1", out);
    CHECK(system(cmd) == 0, "make -n all fails in the STEP=%d edition", step);
  }
  remove_tree(tmp);
  free(tmp);
}
