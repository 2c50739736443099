// grade: hvlab's autograder (see grade.h for what a test is).
//
//   grade                     every stage that is built (or started)
//   grade --step 3            stage 3 only
//   grade --test regs         the tests whose names contain "regs"
//   grade --json results.json --junit report.xml
//
// Tests run in parallel, one QEMU each, but results are printed in table
// order, so two runs of the same submission read the same. The run ends
// with "Score: x/y"; the exit status is 0 only for full marks.

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"
#include "qemu.h"
#include "tasks.h"

extern const struct gstage *const __start_hvgrade[];
extern const struct gstage *const __stop_hvgrade[];

#define MAX_STAGES 16

static void usage(FILE *f) {
  fprintf(f, "usage: grade [options]\n"
             "Boot each built hvlab stage in QEMU and run its tests.\n"
             "\n"
             "  --step N        grade stage N only (its tests fail if it is "
             "not built)\n"
             "  --test NAME     run the test NAME or stepN:NAME, or a task's "
             "tests (lab3.2);\n"
             "                  if no test is called that, every test whose "
             "name contains NAME\n"
             "  --list          list the tests and their points, then exit\n"
             "  -j, --jobs N    run N tests at a time (default: one per CPU)\n"
             "  --build DIR     where the stages were built (default: "
             "$HVLAB_BUILD, else build)\n"
             "  --src DIR       the source tree (default: .): a stage with "
             "sources but no\n"
             "                  hv.elf, or one older than a file it is built "
             "from, scores 0\n"
             "                  (with the compiler's errors from "
             "BUILD/stepN/build.log)\n"
             "  --json FILE     also write Gradescope's results.json to FILE\n"
             "  --junit FILE    also write JUnit XML to FILE\n"
             "  --results DIR   where to keep the transcripts of failed tests\n"
             "                  (default: grade-results)\n"
             "  --qemu PATH     the QEMU to run (default: $HVLAB_QEMU, else\n"
             "                  qemu-system-riscv64 from PATH)\n"
             "  --timeout SECS  one timeout for every test instead of the "
             "table's\n"
             "  -v, --verbose   print every test's console\n"
             "  -h, --help      this text\n"
             "An option's value may also follow an '=' (--step=3), or the "
             "letter (-j4).\n"
             "\n"
             "Exit status: 0 full marks, 1 some test failed, 2 nothing could "
             "be graded\n"
             "(a usage error, no QEMU, no stage built).\n");
}

// ---- The tables ------------------------------------------------------------------

static const struct gstage *stages[MAX_STAGES];
static int nstages;

static int by_num(const void *a, const void *b) {
  const struct gstage *x = *(const struct gstage *const *)a;
  const struct gstage *y = *(const struct gstage *const *)b;
  return x->num - y->num;
}

// Load the tables and check them: a broken table is the grader's bug, and
// it must show up on the instructor's machine, not in a student's score.
static int load_tables(void) {
  int bad = 0;
  for (const struct gstage *const *s = __start_hvgrade; s < __stop_hvgrade; s++)
    if (nstages < MAX_STAGES)
      stages[nstages++] = *s;
  qsort(stages, (size_t)nstages, sizeof stages[0], by_num);
  for (int i = 0; i < nstages; i++) {
    const struct gstage *st = stages[i];
    if (i && stages[i - 1]->num == st->num) {
      fprintf(stderr, "grade: two tables for stage %d\n", st->num);
      bad++;
    }
    for (int k = 0; k < st->ntests; k++) {
      const struct gtest *t = &st->tests[k];
      for (int j = 0; j < k; j++)
        if (strcmp(st->tests[j].name, t->name) == 0) {
          fprintf(stderr, "grade: step%d: two tests called %s\n", st->num,
                  t->name);
          bad++;
        }
      const char *const *lists[2] = {t->expect, t->reject};
      int sizes[2] = {MAX_EXPECT, MAX_REJECT};
      for (int l = 0; l < 2; l++)
        for (int j = 0; j < sizes[l] && lists[l][j]; j++) {
          regex_t re;
          if (regcomp(&re, lists[l][j], REG_EXTENDED | REG_NEWLINE) != 0) {
            fprintf(stderr, "grade: step%d: %s: bad regex /%s/\n", st->num,
                    t->name, lists[l][j]);
            bad++;
          } else
            regfree(&re);
        }
    }
  }
  return bad ? -1 : 0;
}

static int stage_points(const struct gstage *st) {
  int p = 0;
  for (int i = 0; i < st->ntests; i++)
    p += st->tests[i].points;
  return p;
}

static int exists(const char *dir, const char *a, const char *b) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s/%s", dir, a, b);
  return access(path, F_OK) == 0;
}

static void list_tests(const char *build) {
  int total = 0;
  for (int i = 0; i < nstages; i++) {
    const struct gstage *st = stages[i];
    char elf[64];
    snprintf(elf, sizeof elf, "step%d", st->num);
    printf("step%d (%s): %s -- %d points%s\n", st->num, st->dir, st->title,
           stage_points(st),
           exists(build, elf, "hv.elf") ? "" : " (not built)");
    for (int k = 0; k < st->ntests; k++) {
      const struct gtest *t = &st->tests[k];
      printf("  %-22s %3d  %s", t->name, t->points, t->about);
      if (t->visibility)
        printf(" [%s]", t->visibility);
      printf("\n");
    }
    total += stage_points(st);
  }
  printf("Total: %d points\n", total);
}

// ---- QEMU ------------------------------------------------------------------------

// Is prog runnable, as execvp would find it?
static int runnable(const char *prog) {
  if (strchr(prog, '/'))
    return access(prog, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path || !*path)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? path : ".", prog);
    if (access(full, X_OK) == 0)
      return 1;
    path += n + (path[n] == ':');
  }
  return 0;
}

// ---- Running -----------------------------------------------------------------------

struct job {
  const struct gstage *st;
  const struct gtest *t;
};

static struct job *jobs;
static struct result *results;
static int njobs;
static atomic_int next_job;
static pthread_mutex_t print_mu = PTHREAD_MUTEX_INITIALIZER;
static char *done;
static int next_print;
static const struct gctx *ctx;

#define GREEN "\033[32m"
#define RED "\033[31m"
#define PLAIN "\033[0m"

static void print_details(const char *d, int color) {
  while (*d) {
    size_t n = strcspn(d, "\n");
    const char *c = NULL;
    if (color) {
      size_t sp = strspn(d, " ");
      const char *w = d + sp;
      if (strncmp(w, "GOOD", 4) == 0 || strncmp(w, "ok ", 3) == 0)
        c = GREEN;
      else if (strncmp(w, "BAD", 3) == 0 || strncmp(w, "MISSING", 7) == 0 ||
               strncmp(w, "WRONG", 5) == 0 || strncmp(w, "FAILED", 6) == 0)
        c = RED;
    }
    printf("    %s", c ? c : "");
    fput_escaped(stdout, d, n);
    printf("%s\n", c ? PLAIN : "");
    d += n + (d[n] == '\n');
  }
}

static void print_result(const struct result *r) {
  int color = ctx->color;
  printf("step%d: %s ... ", r->stage->num, r->test->name);
  if (r->passed)
    printf("%sOK%s (%.1fs)\n", color ? GREEN : "", color ? PLAIN : "",
           r->seconds);
  else {
    printf("%sFAIL%s (%.1fs): ", color ? RED : "", color ? PLAIN : "",
           r->seconds);
    fput_escaped(stdout, r->reason, strlen(r->reason));
    printf("\n");
  }
  print_details(sb_str(&r->details), color);  // passes: only with -v
  if (!r->passed && r->transcript[0])
    printf("    transcript: %s\n", r->transcript);
  if (ctx->verbose && r->console.len) {
    const char *s = sb_str(&r->console);
    while (*s) {
      size_t n = strcspn(s, "\n");
      printf("    | ");
      fput_escaped(stdout, s, n);
      printf("\n");
      s += n + (s[n] == '\n');
    }
  }
  fflush(stdout);
}

// ---- Gates -------------------------------------------------------------------------
// A test with a gate scores only if the gate passed (grade.h): the
// console is corroboration, the gate's hardware evidence is the proof.

static const struct gtest *find_test(const struct gstage *st,
                                     const char *name) {
  for (int k = 0; k < st->ntests; k++)
    if (strcmp(st->tests[k].name, name) == 0)
      return &st->tests[k];
  return NULL;
}

// A gate runs before the tests it guards (so their verdicts can be
// printed in order): add any that the selection left out.
static void add_gates(void) {
  for (int i = 0; i < njobs && njobs < 255; i++) {
    const struct gtest *g =
        jobs[i].t->gate ? find_test(jobs[i].st, jobs[i].t->gate) : NULL;
    int have = 0;
    for (int k = 0; k < i && g; k++)
      have |= jobs[k].t == g;
    if (!g || have)
      continue;
    for (int k = i + 1; k < njobs; k++)  // a later copy moves up
      if (jobs[k].t == g) {
        memmove(&jobs[k], &jobs[k + 1], (size_t)(njobs - k - 1) * sizeof *jobs);
        njobs--;
        break;
      }
    memmove(&jobs[i + 1], &jobs[i], (size_t)(njobs - i) * sizeof *jobs);
    jobs[i] = (struct job){jobs[i + 1].st, g};
    njobs++;
  }
}

static void apply_gate(int i) {
  struct result *r = &results[i];
  if (!r->passed || !r->test->gate)
    return;
  for (int k = 0; k < i; k++)
    if (results[k].stage == r->stage &&
        strcmp(results[k].test->name, r->test->gate) == 0 &&
        !results[k].passed) {
      r->passed = 0;
      snprintf(r->reason, sizeof r->reason,
               "not counted: step%d:%s found no hardware evidence (%.150s)",
               r->stage->num, r->test->gate, results[k].reason);
      return;
    }
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    int i = atomic_fetch_add(&next_job, 1);
    if (i >= njobs)
      return NULL;
    run_test(ctx, jobs[i].st, jobs[i].t, &results[i]);
    // Print in table order: everything finished up to the first gap.
    pthread_mutex_lock(&print_mu);
    done[i] = 1;
    while (next_print < njobs && done[next_print]) {
      apply_gate(next_print);
      print_result(&results[next_print++]);
    }
    pthread_mutex_unlock(&print_mu);
  }
}

static void run_all(int nthreads) {
  pthread_t th[256];
  if (nthreads > njobs)
    nthreads = njobs;
  if (nthreads > 256)
    nthreads = 256;
  int started = 0;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 1 << 20);
  for (int i = 0; i < nthreads; i++)
    if (pthread_create(&th[started], &a, worker, NULL) == 0)
      started++;
  pthread_attr_destroy(&a);
  if (started == 0)
    worker(NULL);
  for (int i = 0; i < started; i++)
    pthread_join(th[i], NULL);
}

// ---- Signals -----------------------------------------------------------------------

// Ctrl-C (or a CI job's SIGTERM): take every QEMU down with us. They run
// in process groups of their own, so the terminal's SIGINT never reaches
// them, and a QEMU left behind would spin a CPU forever.
//
// The signals are blocked in every thread and taken by one that waits for
// them, not by a handler: killing the QEMUs needs the watchdog's lock (a
// handler could kill a QEMU's pid just after its test reaped it, and so
// maybe someone else's new process group). QEMUs start with an empty
// signal mask (proc.c).
static sigset_t fatal_signals;

static void *signal_thread(void *arg) {
  (void)arg;
  int sig;
  while (sigwait(&fatal_signals, &sig) != 0)
    ;
  live_kill_all();
  static const char msg[] = "\ngrade: interrupted: stopped every QEMU\n";
  if (write(2, msg, sizeof msg - 1) < 0) {
  }
  // Die of the signal itself, so our parent sees how we ended.
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  raise(sig);
  _exit(128 + sig);  // not reached
}

// A reader that goes away (grade | head) must not kill us before we have
// cleaned up and written the reports: with a handler instead of SIG_IGN,
// write() fails with EPIPE, and QEMU (exec resets handlers) is unaffected.
static void on_sigpipe(int sig) { (void)sig; }

// Before any other thread exists: they all inherit the mask.
static void install_signals(void) {
  sigemptyset(&fatal_signals);
  sigaddset(&fatal_signals, SIGINT);
  sigaddset(&fatal_signals, SIGTERM);
  sigaddset(&fatal_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &fatal_signals, NULL);
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 64 * 1024);
  if (pthread_create(&t, &a, signal_thread, NULL) != 0) {
    // No thread to take them: then let them end us as they would anyway.
    pthread_sigmask(SIG_UNBLOCK, &fatal_signals, NULL);
    fprintf(stderr, "grade: warning: Ctrl-C will leave QEMUs running\n");
  }
  pthread_attr_destroy(&a);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_sigpipe;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGPIPE, &sa, NULL);
}

// ---- The command line ---------------------------------------------------------------

struct options {
  struct gctx g;
  const char *src, *json, *junit, *test;
  int step, list, nthreads;
};

static int parse_int(const char *s, int *v) {
  char *end;
  long x = strtol(s, &end, 10);
  if (!*s || *end || x < 0 || x > 100000)
    return -1;
  *v = (int)x;
  return 0;
}

// Every option that takes a value is a long option with a code of its
// own; getopt_long accepts "--opt VALUE", "--opt=VALUE", "-jN" and "-j N".
enum {
  O_STEP = 256,
  O_TEST,
  O_LIST,
  O_BUILD,
  O_SRC,
  O_JSON,
  O_JUNIT,
  O_RESULTS,
  O_QEMU,
  O_TIMEOUT
};
static const struct option long_opts[] = {
    {"step", required_argument, NULL, O_STEP},
    {"test", required_argument, NULL, O_TEST},
    {"list", no_argument, NULL, O_LIST},
    {"jobs", required_argument, NULL, 'j'},
    {"build", required_argument, NULL, O_BUILD},
    {"src", required_argument, NULL, O_SRC},
    {"json", required_argument, NULL, O_JSON},
    {"junit", required_argument, NULL, O_JUNIT},
    {"results", required_argument, NULL, O_RESULTS},
    {"qemu", required_argument, NULL, O_QEMU},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

// Fill o from the command line. Returns 0 to go on, 1 after --help, and -1
// after a usage error (already reported).
static int parse_args(int argc, char **argv, struct options *o) {
  const char *env = getenv("HVLAB_BUILD");
  o->g = (struct gctx){
      .build = env && *env ? env : "build",
      .results = "grade-results",
      .max_output = DEFAULT_MAX_OUTPUT,
  };
  env = getenv("HVLAB_QEMU");
  o->g.qemu = env && *env ? env : NULL;
  o->src = ".";
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  o->nthreads = ncpu > 0 ? (int)ncpu : 1;

  opterr = 0;  // our own messages, below
  int c, li = -1;
  while ((c = getopt_long(argc, argv, ":j:vh", long_opts, &li)) != -1) {
    int bad = 0;
    switch (c) {
    case O_STEP: bad = parse_int(optarg, &o->step) < 0 || o->step == 0; break;
    case O_TEST: o->test = optarg; break;
    case O_LIST: o->list = 1; break;
    case 'j': bad = parse_int(optarg, &o->nthreads) < 0 || !o->nthreads; break;
    case O_BUILD: o->g.build = optarg; break;
    case O_SRC: o->src = optarg; break;
    case O_JSON: o->json = optarg; break;
    case O_JUNIT: o->junit = optarg; break;
    case O_RESULTS: o->g.results = optarg; break;
    case O_QEMU: o->g.qemu = optarg; break;
    case O_TIMEOUT: {
      char *end;
      o->g.timeout = strtod(optarg, &end);
      bad = !*optarg || *end || !(o->g.timeout > 0);
      break;
    }
    case 'v': o->g.verbose = 1; break;
    case 'h': usage(stdout); return 1;
    case ':':
      fprintf(stderr, "grade: %s needs a value\n", argv[optind - 1]);
      return -1;
    default:  // '?': optopt is an unknown short option's letter
      if (optopt > 0 && optopt < 256)
        fprintf(stderr, "grade: unknown option '-%c'\n", optopt);
      else
        fprintf(stderr, "grade: unknown option '%s'\n", argv[optind - 1]);
      usage(stderr);
      return -1;
    }
    if (bad) {
      if (li >= 0)
        fprintf(stderr, "grade: bad value '%s' for --%s\n", optarg,
                long_opts[li].name);
      else
        fprintf(stderr, "grade: bad value '%s' for -%c\n", optarg, c);
      return -1;
    }
    li = -1;  // getopt_long sets it only for a long option
  }
  if (optind < argc) {
    fprintf(stderr, "grade: unknown option '%s'\n", argv[optind]);
    usage(stderr);
    return -1;
  }
  return 0;
}

// ---- Choosing what to run -------------------------------------------------------------

// The stages to grade: those built, those with sources (a failed build
// scores 0, not "not graded"), or exactly the one asked for. Returns how
// many, 0 if there are none (reported), -1 for an unknown stage; the
// stages neither built nor started go to skipped (" 4 5").
static int choose_stages(const struct options *o, const struct gstage **graded,
                         struct sbuf *skipped) {
  int n = 0;
  for (int i = 0; i < nstages; i++) {
    const struct gstage *st = stages[i];
    char d[32];
    snprintf(d, sizeof d, "step%d", st->num);
    if (o->step) {
      if (st->num == o->step)
        graded[n++] = st;
    } else if (exists(o->g.build, d, "hv.elf") ||
               exists(o->src, st->dir, "main.c"))
      graded[n++] = st;
    else
      sb_printf(skipped, " %d", st->num);
  }
  if (o->step && n == 0) {
    fprintf(stderr,
            "grade: stage %d has no tests (stages with tests:", o->step);
    for (int i = 0; i < nstages; i++)
      fprintf(stderr, " %d", stages[i]->num);
    fprintf(stderr, ")\n");
    n = -1;
  } else if (n == 0)
    fprintf(stderr,
            "grade: nothing to grade: no stage is built under %s/ and no "
            "stage's sources are under %s/\n"
            "       (run `make stages`, or pass --build DIR)\n",
            o->g.build, o->src);
  return n;
}

// The jobs: the tests called o->test (or stepN:test) if there are any, else
// those whose full name contains it; every test without --test. Then
// graded[] keeps only the stages that have a job. Returns the job count.
static int choose_tests(const struct options *o, const struct gstage **graded,
                        int *ngraded) {
  jobs = calloc(256, sizeof *jobs);
  if (!jobs)
    return 0;
  const char *want = o->test;
  // A task's id (lab3.2): the tests of its own stage that check it.
  const struct gtask *task = want ? task_find(want) : NULL;
  for (int i = 0; task && i < *ngraded; i++)
    for (int k = 0; k < graded[i]->ntests && njobs < 256; k++)
      if (graded[i]->num == task_stage(task) &&
          task_covers(task, graded[i]->num, graded[i]->tests[k].name))
        jobs[njobs++] = (struct job){graded[i], &graded[i]->tests[k]};
  for (int pass = 0; pass < 2 && njobs == 0; pass++)
    for (int i = 0; i < *ngraded; i++)
      for (int k = 0; k < graded[i]->ntests && njobs < 256; k++) {
        const struct gtest *t = &graded[i]->tests[k];
        char full[128];
        snprintf(full, sizeof full, "step%d:%s", graded[i]->num, t->name);
        int take = !want || (pass == 0 ? strcmp(t->name, want) == 0 ||
                                             strcmp(full, want) == 0
                                       : strstr(full, want) != NULL);
        if (take)
          jobs[njobs++] = (struct job){graded[i], t};
      }
  add_gates();  // the tests whose evidence the chosen ones need
  int kept = 0;
  for (int i = 0; i < *ngraded; i++)
    for (int k = 0; k < njobs; k++)
      if (jobs[k].st == graded[i]) {
        graded[kept++] = graded[i];
        break;
      }
  *ngraded = kept;
  return njobs;
}

// Run every job (or, without QEMU, say so once). Returns the exit status
// so far: 0, or 2 if nothing could run.
static int run_jobs(const struct options *o) {
  const char *qemu = o->g.qemu ? o->g.qemu : "qemu-system-riscv64";
  if (!runnable(qemu)) {
    // Without QEMU nothing can run: say it once, not once per test.
    printf("grade: cannot run any test: %s %s.\n"
           "grade: install QEMU 7.2 with `make deps-qemu` (Debian package "
           "qemu-system-misc)%s.\n",
           qemu,
           strchr(qemu, '/') ? "is not an executable file"
                             : "is not installed (not found in PATH)",
           o->g.qemu ? ", or fix --qemu / $HVLAB_QEMU" : "");
    for (int i = 0; i < njobs; i++)
      snprintf(results[i].reason, sizeof results[i].reason,
               "not run: %s not found", qemu);
    return 2;
  }
  live_init();
  ctx = &o->g;
  run_all(o->nthreads);
  return 0;
}

// "step1: 20/20, step2: ..." and "Score: x/y". Returns the score.
static int print_score(const struct gstage *const *graded, int ngraded, int max,
                       double secs) {
  int score = 0;
  printf("\n");
  for (int i = 0; i < ngraded; i++) {
    int got = 0, of = 0;
    for (int k = 0; k < njobs; k++)
      if (jobs[k].st == graded[i]) {
        of += jobs[k].t->points;
        got += results[k].passed ? jobs[k].t->points : 0;
      }
    score += got;
    printf("%sstep%d: %d/%d", i ? ", " : "", graded[i]->num, got, of);
  }
  printf(" (%.1fs)\nScore: %d/%d\n", secs, score, max);
  fflush(stdout);
  return score;
}

// ---- main ----------------------------------------------------------------------------

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  install_signals();

  static struct options o;  // static: ctx points into it from the threads
  int r = parse_args(argc, argv, &o);
  if (r != 0)
    return r > 0 ? 0 : 2;
  o.g.src = o.src;
  if (load_tables() < 0)
    return 2;
  if (o.list) {
    list_tests(o.g.build);
    return 0;
  }
  o.g.color = isatty(1) && !getenv("NO_COLOR");

  const struct gstage *graded[MAX_STAGES];
  struct sbuf skipped = {0};
  int ngraded = choose_stages(&o, graded, &skipped);
  if (ngraded <= 0) {
    sb_free(&skipped);
    return 2;
  }
  if (choose_tests(&o, graded, &ngraded) == 0) {
    sb_free(&skipped);
    fprintf(stderr, "grade: no test matches '%s' (see grade --list)\n", o.test);
    return 2;
  }
  results = calloc((size_t)njobs, sizeof *results);
  done = calloc((size_t)njobs, 1);
  if (!results || !done) {
    fprintf(stderr, "grade: out of memory\n");
    return 2;
  }
  int max = 0;
  for (int i = 0; i < njobs; i++) {
    max += jobs[i].t->points;
    results[i].stage = jobs[i].st;
    results[i].test = jobs[i].t;
  }
  printf("grade: %d test%s of stage%s", njobs, njobs == 1 ? "" : "s",
         ngraded == 1 ? "" : "s");
  for (int i = 0; i < ngraded; i++)
    printf(" %d", graded[i]->num);
  printf(" (%d points) from %s/, %d at a time\n", max, o.g.build,
         o.nthreads < njobs ? o.nthreads : njobs);
  if (skipped.len)
    printf("grade: not started, not graded: stage%s\n", sb_str(&skipped));
  sb_free(&skipped);

  double t0 = now_seconds();
  int status = run_jobs(&o);
  double secs = now_seconds() - t0;
  int score = print_score(graded, ngraded, max, secs);

  if (o.json && write_json(o.json, results, njobs, secs) < 0 && status == 0)
    status = 1;
  if (o.junit && write_junit(o.junit, results, njobs, secs) < 0 && status == 0)
    status = 1;
  if (status == 0 && score < max)
    status = 1;
  return status;
}
