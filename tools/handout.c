// handout: write the student edition of hvlab (`make handout`).
//
//   handout [--src DIR] [--out DIR] [--step N] [--only TASK]
//
// The student edition is a fresh tree (not a clone: no history) holding
// the stages 1..N, the runtime, the shared headers, the host tools, the
// grader and the handouts -- everything a course's template repository
// needs -- in which each task's solution (between the markers described in
// grader/tasks.h) is replaced by its stub. With --step N, stages before N
// are handed out solved and only stage N's tasks are stubbed, so a course
// can go stage by stage. --only TASK stubs that one task and solves the
// rest (tests/test_tasks.c proves each task's tests with it).
//
// The grader's own tests, the benchmarks and the fuzzer stay behind: they
// hold solution text (mutations of it) and are no use to a student.
// Before it finishes, the builder looks for every solution line that is
// not common code anywhere in the edition (a handout that quotes it, say)
// and refuses to leave such an edition behind.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../grader/tasks.h"
#include "file.h"

#define EDITION_MARK ".hvlab-edition"

static const char *src = ".", *out = "build/handout", *only, *gradescope;
static int step;       // stages 1..step are handed out
static int stub_from;  // tasks of stages >= stub_from are stubbed
static int errors;

__attribute__((format(printf, 1, 2))) static void err(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "handout: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  errors++;
}

// ---- Text -------------------------------------------------------------------

// Whitespace collapsed to single blanks, none at the ends.
static void squeeze(const char *s, size_t n, char *o, size_t on) {
  size_t k = 0;
  int blank = 0;
  for (size_t i = 0; i < n && k + 2 < on; i++) {
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
      blank = k > 0;
      continue;
    }
    if (blank)
      o[k++] = ' ';
    blank = 0;
    o[k++] = s[i];
  }
  o[k] = 0;
}

// The solution lines of every stubbed region, for the leak check, and the
// lines of the sources outside any region (common code).
struct lines {
  char **v;
  const char **tag;  // the task a solution line belongs to
  int n, cap;
};
static struct lines solution, common;

static void add_line(struct lines *l, const char *s, size_t n,
                     const char *tag) {
  char buf[512];
  squeeze(s, n, buf, sizeof buf);
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 256;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
    l->tag = realloc(l->tag, (size_t)l->cap * sizeof *l->tag);
  }
  l->tag[l->n] = tag;
  l->v[l->n++] = strdup(buf);
}

static int has_line(const struct lines *l, const char *s) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0)
      return 1;
  return 0;
}

// Is s part of some line of l (the way the leak check looks for it)?
static int in_some_line(const struct lines *l, const char *s) {
  for (int i = 0; i < l->n; i++)
    if (strstr(l->v[i], s))
      return 1;
  return 0;
}

// ---- Markers ----------------------------------------------------------------

enum mark { M_NONE, M_BEGIN, M_STUB, M_END, M_BAD };

// Classify a line: "// BEGIN TASK id", "// STUB: text", "// END TASK" (or
// with '#' in assembly). *arg points at the id or the stub text.
static enum mark marker(const char *s, size_t n, int asm_file, const char **arg,
                        size_t *argn) {
  size_t i = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  const char *p = s + i;
  size_t rest = n - i;
  size_t lead;
  if (rest >= 3 && strncmp(p, "// ", 3) == 0)
    lead = 3;
  else if (asm_file && rest >= 2 && strncmp(p, "# ", 2) == 0)
    lead = 2;
  else
    return M_NONE;
  p += lead, rest -= lead;
  if (rest >= 11 && strncmp(p, "BEGIN TASK ", 11) == 0) {
    *arg = p + 11;
    *argn = rest - 11;
    while (*argn && ((*arg)[*argn - 1] == ' ' || (*arg)[*argn - 1] == '\r'))
      (*argn)--;
    return M_BEGIN;
  }
  if (rest >= 5 && strncmp(p, "STUB:", 5) == 0) {
    *arg = p + 5 + (rest > 5 && p[5] == ' ');
    *argn = rest - (size_t)(*arg - p);
    return M_STUB;
  }
  if (rest >= 8 && strncmp(p, "END TASK", 8) == 0)
    return M_END;
  if (memmem(p, rest, "BEGIN TASK", 10) || memmem(p, rest, "END TASK", 8))
    return M_BAD;
  return M_NONE;
}

static int stubbed(const struct gtask *t) {
  if (only)
    return strcmp(t->id, only) == 0;
  return task_stage(t) >= stub_from;
}

static int region_count[64];
static int docs_ready;  // the solution lines are known: handouts filter them

// The call that stops a run at a task's stub. In assembly it takes a few
// lines; the ones after the first are indented by `indent` columns.
static void todo(FILE *f, const struct gtask *t, size_t indent, int asm_file) {
  char what[300];
  snprintf(what, sizeof what, "%s (%s): see %s, task %s", t->id, t->title,
           t->handout, t->id);
  if (!asm_file) {
    fprintf(f, "hv_todo(\"%s\")", what);
    return;
  }
  int in = (int)indent;
  fprintf(f, "la      a0, 9000f\n");
  fprintf(f, "%*scall    hv_todo\n", in, "");
  fprintf(f, "%*s.pushsection .rodata\n", in, "");
  fprintf(f, "9000:%*s.asciz  \"%s\"\n", in > 5 ? in - 5 : 1, "", what);
  fprintf(f, "%*s.popsection", in, "");
}

// A file copied unchanged keeps its modification time, so that a build
// of one edition can be reused for another (make rebuilds only what
// differs: tests/test_tasks.c builds 18 editions that way).
static void keep_time(const char *from, const char *to) {
  struct stat st;
  if (stat(from, &st) == 0) {
    struct timespec t[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, to, t, 0);
  }
}

// Copy one source file, cutting out or keeping its task regions.
static void process(const char *rel, const char *from, const char *to) {
  size_t len;
  char *text = read_file(from, &len);
  if (!text) {
    err("cannot read %s: %s", from, strerror(errno));
    return;
  }
  FILE *f = fopen(to, "w");
  if (!f) {
    err("cannot write %s: %s", to, strerror(errno));
    free(text);
    return;
  }
  size_t rl = strlen(rel);
  int asm_file = rl > 2 && strcmp(rel + rl - 2, ".S") == 0;
  const struct gtask *in = NULL;
  int stub = 0, lineno = 0, marked = 0;
  const char *s = text;
  while (*s) {
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    lineno++;
    const char *arg;
    size_t argn;
    enum mark m = marker(s, n, asm_file, &arg, &argn);
    size_t ind = strspn(s, " \t");
    marked |= m != M_NONE;
    if (m == M_BAD) {
      err("%s:%d: a malformed task marker", rel, lineno);
    } else if (m == M_BEGIN) {
      char id[32];
      snprintf(id, sizeof id, "%.*s", (int)(argn < 31 ? argn : 31), arg);
      if (in)
        err("%s:%d: BEGIN TASK %s inside task %s", rel, lineno, id, in->id);
      in = task_find(id);
      if (!in)
        err("%s:%d: BEGIN TASK %s: no such task in grader/tasks.c", rel, lineno,
            id);
      else {
        region_count[in - grade_tasks]++;
        stub = stubbed(in);
      }
    } else if (m == M_END) {
      if (!in)
        err("%s:%d: END TASK without BEGIN TASK", rel, lineno);
      in = NULL;
    } else if (m == M_STUB) {
      if (!in)
        err("%s:%d: STUB: outside a task", rel, lineno);
      else if (stub) {
        const char *at = memmem(arg, argn, "@TODO@", 6);
        fprintf(f, "%.*s", (int)ind, s);
        if (at) {
          fprintf(f, "%.*s", (int)(at - arg), arg);
          todo(f, in, ind + (size_t)(at - arg), asm_file);
          fprintf(f, "%.*s\n", (int)(argn - (size_t)(at - arg) - 6), at + 6);
        } else
          fprintf(f, "%.*s\n", (int)argn, arg);
      }
    } else if (in) {
      if (!stub) {
        fprintf(f, "%.*s\n", (int)n, s);
        add_line(&common, s, n, NULL);  // in the edition, rightly
      } else
        add_line(&solution, s, n, in->id);
    } else {
      fprintf(f, "%.*s\n", (int)n, s);
      add_line(&common, s, n, NULL);
    }
    s += n + (e != NULL);
  }
  if (in)
    err("%s: task %s has no END TASK", rel, in->id);
  if (fclose(f) != 0)
    err("writing %s: %s", to, strerror(errno));
  else if (!marked && text[len ? len - 1 : 0] == '\n')
    keep_time(from, to);  // written exactly as read
  free(text);
}

// ---- The tree ---------------------------------------------------------------

static int is_source(const char *name) {
  size_t n = strlen(name);
  return n > 2 && name[n - 2] == '.' &&
         (name[n - 1] == 'c' || name[n - 1] == 'h' || name[n - 1] == 'S');
}

static int copy_file(const char *from, const char *to, mode_t mode) {
  size_t len;
  char *text = read_file(from, &len);
  if (!text)
    return -1;
  FILE *f = fopen(to, "wb");
  int ok = f && fwrite(text, 1, len, f) == len;
  if (f && fclose(f) != 0)
    ok = 0;
  free(text);
  if (ok) {
    chmod(to, mode & 0777);
    keep_time(from, to);
  }
  return ok ? 0 : -1;
}

static void copy_doc(const char *from, const char *to);

static void copy_tree(const char *rel) {
  if (strncmp(rel, "tools/", 6) == 0) {
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/tools", out);
    mkdir(d, 0777);
  }
  char from[PATH_MAX], to[PATH_MAX];
  snprintf(from, sizeof from, "%s/%s", src, rel);
  snprintf(to, sizeof to, "%s/%s", out, rel);
  struct stat st;
  if (lstat(from, &st) != 0)
    return;  // optional entries (a stage not written yet)
  if (S_ISDIR(st.st_mode)) {
    mkdir(to, 0777);
    DIR *d = opendir(from);
    if (!d) {
      err("cannot read %s", from);
      return;
    }
    struct dirent *de;
    char **names = NULL;
    int n = 0;
    while ((de = readdir(d)))
      if (de->d_name[0] != '.') {
        names = realloc(names, (size_t)(n + 1) * sizeof *names);
        names[n++] = strdup(de->d_name);
      }
    closedir(d);
    for (int i = 0; i < n; i++) {
      char sub[PATH_MAX];
      snprintf(sub, sizeof sub, "%s/%s", rel, names[i]);
      copy_tree(sub);
      free(names[i]);
    }
    free(names);
  } else if (S_ISREG(st.st_mode)) {
    if (is_source(rel) && path_owned(rel, 5))
      process(rel, from, to);
    else if (strncmp(rel, "labs/", 5) == 0 && docs_ready)
      copy_doc(from, to);
    else if (copy_file(from, to, st.st_mode) < 0)
      err("cannot copy %s to %s", from, to);
  }
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

// The destination: created, or an edition we wrote before (replaced).
static int prepare_out(void) {
  struct stat st;
  if (stat(out, &st) == 0) {
    char mark[PATH_MAX];
    snprintf(mark, sizeof mark, "%s/%s", out, EDITION_MARK);
    DIR *d = opendir(out);
    int empty = 1;
    struct dirent *de;
    while (d && (de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
        empty = 0;
    if (d)
      closedir(d);
    if (!empty && access(mark, F_OK) != 0) {
      fprintf(stderr,
              "handout: %s exists and is not a student edition written by "
              "this tool; refusing to overwrite it\n",
              out);
      return -1;
    }
    if (!empty && nftw(out, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
      fprintf(stderr, "handout: cannot remove the old edition in %s: %s\n", out,
              strerror(errno));
      return -1;
    }
  }
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s", out);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0777);
      *s = '/';
    }
  if (mkdir(p, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "handout: cannot create %s: %s\n", out, strerror(errno));
    return -1;
  }
  return 0;
}

// ---- The leak check ---------------------------------------------------------

static int leaks;

static int scan_one(const char *p, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)sb, (void)ftw;
  if (flag != FTW_F)
    return 0;
  size_t len;
  char *text = read_file(p, &len);
  if (!text)
    return 0;
  int lineno = 0;
  for (const char *s = text; *s;) {
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char buf[512];
    squeeze(s, n, buf, sizeof buf);
    lineno++;
    for (int i = 0; buf[0] && i < solution.n; i++)
      if (strstr(buf, solution.v[i]) && leaks++ < 20)
        fprintf(stderr, "handout: %s:%d holds solution text: %s\n", p, lineno,
                solution.v[i]);
    s += n + (e != NULL);
  }
  free(text);
  return 0;
}

// Keep only the distinctive solution lines: not blank, not comments or
// lone braces, not common code found outside the regions.
static void distinctive(void) {
  int k = 0;
  for (int i = 0; i < solution.n; i++) {
    char *s = solution.v[i];
    int trivial = strlen(s) < 12 || strncmp(s, "//", 2) == 0 ||
                  (s[0] == '#' && s[1] == ' ') || in_some_line(&common, s);
    if (trivial || has_line(&(struct lines){solution.v, NULL, k, 0}, s))
      free(s);
    else {
      solution.tag[k] = solution.tag[i];
      solution.v[k++] = s;
    }
  }
  solution.n = k;
}

// A handout in the edition: a line that quotes a solution (a gdb
// transcript shows the source line it stopped at, say) keeps what comes
// before the quote, and says whose code goes there instead.
static void copy_doc(const char *from, const char *to) {
  size_t len;
  char *text = read_file(from, &len);
  FILE *f = text ? fopen(to, "w") : NULL;
  if (!f) {
    err("cannot copy %s to %s", from, to);
    free(text);
    return;
  }
  for (const char *s = text; *s;) {
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char buf[512];
    squeeze(s, n, buf, sizeof buf);
    int hit = -1;
    for (int i = 0; buf[0] && i < solution.n && hit < 0; i++)
      if (strstr(buf, solution.v[i]))
        hit = i;
    if (hit < 0)
      fprintf(f, "%.*s\n", (int)n, s);
    else {
      // Keep the text before the quote's first word (a line number, "(gdb)").
      char word[64];
      snprintf(word, sizeof word, "%.*s", (int)strcspn(solution.v[hit], " "),
               solution.v[hit]);
      const char *at = memmem(s, n, word, strlen(word));
      size_t keep = at ? (size_t)(at - s) : 0;
      fprintf(f, "%.*s[your code: task %s]\n", (int)keep, s, solution.tag[hit]);
    }
    s += n + (e != NULL);
  }
  if (fclose(f) != 0)
    err("writing %s", to);
  free(text);
}

// ---- main ---------------------------------------------------------------------

static const char *const workflow =
    "# GitHub Classroom: grade every push with hvlab's grader.\n"
    "name: hvlab autograding\n"
    "on: [push, workflow_dispatch]\n"
    "permissions:\n"
    "  checks: write\n"
    "  actions: read\n"
    "  contents: read\n"
    "jobs:\n"
    "  grade:\n"
    "    runs-on: ubuntu-latest\n"
    "    container: debian:12\n"
    "    timeout-minutes: 15\n"
    "    steps:\n"
    "      - run: apt-get update && apt-get install -y make git\n"
    "      - uses: actions/checkout@v4\n"
    "      - name: make grade\n"
    "        run: make grade GRADEFLAGS=\"--json results.json --junit "
    "junit.xml\"\n"
    "      - name: keep the reports\n"
    "        if: always()\n"
    "        uses: actions/upload-artifact@v4\n"
    "        with:\n"
    "          name: grade-results\n"
    "          path: |\n"
    "            results.json\n"
    "            junit.xml\n"
    "            grade-results/\n";

// ---- The Gradescope autograder (--gradescope DIR) -------------------------------
// DIR/setup.sh and DIR/run_autograder, with the edition in DIR/hvlab and
// the paths a submission may bring in DIR/owned.txt (from grader/tasks.c:
// declared once). `make gradescope` zips DIR.

static const char *const setup_sh =
    "#!/bin/sh\n"
    "# Gradescope runs this once, as root, to build the autograder's image:\n"
    "# the Debian packages hvlab needs, through hvlab's own installer.\n"
    "set -eu\n"
    "apt-get update\n"
    "DEBIAN_FRONTEND=noninteractive apt-get install -y make\n"
    "make -C /autograder/source/hvlab deps-build deps-qemu deps-host "
    "deps-uboot\n";

static const char *const run_autograder =
    "#!/bin/sh\n"
    "# hvlab's Gradescope autograder (written by make gradescope).\n"
    "# The submission's own files -- only the paths in owned.txt -- go over\n"
    "# a fresh copy of the student edition; everything else, the grader\n"
    "# and the Makefile included, is the instructor's. Then make grade.\n"
    "set -u\n"
    "A=${AUTOGRADER_ROOT:-/autograder}\n"
    "SUB=$A/submission\n"
    "# A submission holding one folder (a zipped repository): that folder.\n"
    "if [ ! -d \"$SUB/step1-vmxon\" ] && [ \"$(ls -A \"$SUB\" | wc -l)\" = 1 "
    "]; then\n"
    "  for d in \"$SUB\"/*/; do SUB=${d%/}; done\n"
    "fi\n"
    "WORK=$(mktemp -d \"${TMPDIR:-/tmp}/hvlab-grade-XXXXXX\")\n"
    "cp -R \"$A/source/hvlab/.\" \"$WORK/\"\n"
    "while read -r path; do\n"
    "  [ -n \"$path\" ] && [ -e \"$SUB/$path\" ] || continue\n"
    "  rm -rf \"${WORK:?}/$path\"\n"
    "  cp -R \"$SUB/$path\" \"$WORK/$path\"\n"
    "  find \"$WORK/$path\" -type l -exec rm -f {} +  # no links out\n"
    "  echo \"hvlab: graded your $path\"\n"
    "done < \"$A/source/owned.txt\"\n"
    "mkdir -p \"$A/results\"\n"
    "rm -f \"$A/results/results.json\"\n"
    "make -C \"$WORK\" -j\"$(nproc 2>/dev/null || echo 2)\" "
    "--no-print-directory grade T= \\\n"
    "  GRADEFLAGS=\"--json $A/results/results.json\"\n"
    "# The grader writes results.json whatever happens to the stages; if it\n"
    "# could not even be built, say so rather than leave nothing.\n"
    "if [ ! -s \"$A/results/results.json\" ]; then\n"
    "  printf '{\"score\": 0, \"output\": \"hvlab: the grader could not "
    "run; see the log\"}\\n' \\\n"
    "    > \"$A/results/results.json\"\n"
    "fi\n"
    "rm -rf \"$WORK\"\n"
    "exit 0\n";

static void write_file(const char *dir, const char *name, const char *text,
                       int mode) {
  char p[PATH_MAX + 64];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0)
    err("cannot write %s", p);
  else
    chmod(p, (mode_t)mode);
}

static void write_gradescope(void) {
  write_file(gradescope, "setup.sh", setup_sh, 0755);
  write_file(gradescope, "run_autograder", run_autograder, 0755);
  char list[4096] = "";
  for (int i = 0; i < grade_nowned; i++)
    if (grade_owned[i].stage <= step) {
      strncat(list, grade_owned[i].path, sizeof list - strlen(list) - 2);
      strcat(list, "\n");
    }
  write_file(gradescope, "owned.txt", list, 0644);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: handout [--src DIR] [--out DIR] [--step N] [--only TASK]\n"
          "Write hvlab's student edition: each task's solution replaced by "
          "a stub.\n"
          "  --src DIR   the reference tree (default: .)\n"
          "  --out DIR   where to write it (default: build/handout); an "
          "edition\n"
          "              written there before is replaced, anything else is "
          "refused\n"
          "  --step N    hand out stages 1..N, with stages before N solved\n"
          "              (default: every stage there is, every task a stub)\n"
          "  --only TASK stub only TASK (e.g. lab3.2), solve the others\n"
          "  --gradescope DIR  a Gradescope autograder in DIR: setup.sh,\n"
          "              run_autograder, owned.txt and the edition in "
          "DIR/hvlab\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "handout: unknown option or missing value: %s\n", a);
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    if (strcmp(a, "--src") == 0)
      src = v;
    else if (strcmp(a, "--out") == 0)
      out = v;
    else if (strcmp(a, "--gradescope") == 0)
      gradescope = v;
    else if (strcmp(a, "--step") == 0) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > 5) {
        fprintf(stderr, "handout: --step wants 1..5, not '%s'\n", v);
        return 2;
      }
      step = (int)n;
    } else if (strcmp(a, "--only") == 0) {
      only = v;
      if (!task_find(only)) {
        fprintf(stderr, "handout: no task called '%s'\n", only);
        return 2;
      }
    } else {
      fprintf(stderr, "handout: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  // Which stages exist: those with a directory holding a main.c.
  int present = 0;
  for (int i = 0; i < grade_nowned; i++) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/main.c", src, grade_owned[i].path);
    if (access(p, F_OK) == 0 && grade_owned[i].stage > present)
      present = grade_owned[i].stage;
  }
  if (!present) {
    fprintf(stderr, "handout: no stage found under %s/\n", src);
    return 2;
  }
  stub_from = 1;
  if (step) {
    if (step > present) {
      fprintf(stderr, "handout: stage %d is not written (stages: 1..%d)\n",
              step, present);
      return 2;
    }
    stub_from = step;
  } else
    step = present;
  if (only && task_stage(task_find(only)) > step) {
    fprintf(stderr, "handout: %s belongs to a stage not handed out\n", only);
    return 2;
  }
  static char gs_out[PATH_MAX];
  if (gradescope) {
    snprintf(gs_out, sizeof gs_out, "%s/hvlab", gradescope);
    out = gs_out;
  }
  if (prepare_out() < 0)
    return 2;

  static const char *const top[] = {"Makefile",
                                    "README.md",
                                    ".clang-format",
                                    ".gitignore",
                                    "include",
                                    "mk",
                                    "hostlib",
                                    "grader",
                                    "monitor",
                                    "tools/freeport.c",
                                    "tools/gdbxml.c",
                                    "tools/guestpack.c",
                                    NULL};
  for (int i = 0; top[i]; i++)
    // (The monitor still reads struct vcpu from step2-vmcs/vcpu.h: without
    // stage 2 it cannot be built, so it is not handed out.)
    if (strcmp(top[i], "monitor") != 0 || step >= 2)
      copy_tree(top[i]);
  for (int i = 0; i < grade_nowned; i++)
    if (grade_owned[i].stage <= step)
      copy_tree(grade_owned[i].path);
  // The handouts of the stages handed out, and the general ones, once
  // every solution line is known.
  distinctive();
  docs_ready = 1;
  char labs[PATH_MAX];
  snprintf(labs, sizeof labs, "%s/labs", out);
  mkdir(labs, 0777);
  static const char *const docs[] = {"labs/README.md", "labs/GRADING.md",
                                     "labs/MONITOR.md", NULL};
  for (int i = 0; docs[i]; i++)
    copy_tree(docs[i]);
  for (int i = 0; i < grade_nowned; i++)
    if (grade_owned[i].stage <= step && grade_owned[i].stage > 0 &&
        strncmp(grade_owned[i].path, "step", 4) == 0) {
      char doc[PATH_MAX];
      snprintf(doc, sizeof doc, "labs/%s.md", grade_owned[i].path);
      copy_tree(doc);
    }

  // Every task of a stage handed out has its region; every region a task.
  for (int i = 0; i < grade_ntasks; i++)
    if (task_stage(&grade_tasks[i]) <= step && !region_count[i])
      err("task %s has no BEGIN TASK region in the sources", grade_tasks[i].id);

  char q[PATH_MAX + 64];
  snprintf(q, sizeof q, "%s/.github", out);
  mkdir(q, 0777);
  snprintf(q, sizeof q, "%s/.github/workflows", out);
  mkdir(q, 0777);
  snprintf(q, sizeof q, "%s/.github/workflows/classroom.yml", out);
  FILE *f = fopen(q, "w");
  if (!f || fputs(workflow, f) < 0 || fclose(f) != 0)
    err("cannot write %s", q);
  snprintf(q, sizeof q, "%s/%s", out, EDITION_MARK);
  f = fopen(q, "w");
  if (f) {
    fprintf(f, "hvlab student edition: stages 1..%d; stubbed: %s\n", step,
            only ? only : "");
    fclose(f);
  }

  if (gradescope)
    write_gradescope();
  nftw(out, scan_one, 16, FTW_PHYS);
  if (leaks)
    err("%d line%s of solution text in the edition (see above)", leaks,
        leaks == 1 ? "" : "s");
  if (errors) {
    fprintf(stderr, "handout: %d error%s: the edition in %s is not usable\n",
            errors, errors == 1 ? "" : "s", out);
    return 1;
  }
  int nstub = 0;
  for (int i = 0; i < grade_ntasks; i++)
    nstub += task_stage(&grade_tasks[i]) <= step && stubbed(&grade_tasks[i]);
  printf("handout: the student edition of stages 1..%d (%d task%s to write) "
         "is in %s\n",
         step, nstub, nstub == 1 ? "" : "s", out);
  return 0;
}
