// run-tests: run every TEST (or those whose names contain an argument).

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "harness.h"

extern const struct test *const __start_hvtests[];
extern const struct test *const __stop_hvtests[];

static int failed_checks;
static jmp_buf skip_jmp;
static char skip_reason[200];
// The QEMU runs of the current test, freed when it ends.
#define MAX_RUNS 16
static struct qemu_proc runs[MAX_RUNS];
static int nruns;

void check_(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok)
    return;
  failed_checks++;
  va_list ap;
  va_start(ap, fmt);
  printf("    %s:%d: ", file, line);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

int checks_failed(void) { return failed_checks > 0; }

void skip_(const char *why) {
  snprintf(skip_reason, sizeof skip_reason, "%s", why);
  longjmp(skip_jmp, 1);
}

static void usage(FILE *f) {
  fprintf(f, "usage: run-tests [--list] [NAME...]\n"
             "Run hvlab's tests (every one, or those whose names contain a "
             "NAME);\n"
             "`make test T=NAME` runs it. $HVLAB_BUILD names the build "
             "directory,\n"
             "$HVTEST_VERBOSE=1 shows every console.\n"
             "  -l, --list   print the tests' names instead of running them\n"
             "  -h, --help   this text\n"
             "Exit status: 0 if nothing failed, 1 otherwise, 2 for a usage "
             "error.\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int list, first = cli_names(argc, argv, usage, &list);
  if (first < 0)
    return first == -1 ? 0 : 2;
  int nwords = argc - first;
  char **words = argv + first;
  static int passed, failed, skipped;  // static: they survive longjmp
  for (const struct test *const *volatile t = __start_hvtests;
       t < __stop_hvtests; t++) {
    if (!cli_match((*t)->name, nwords, words))
      continue;
    if (list) {
      printf("%s\n", (*t)->name);
      continue;
    }
    failed_checks = 0;
    double t0 = now_seconds();
    if (setjmp(skip_jmp)) {
      printf("SKIP %s: %s\n", (*t)->name, skip_reason);
      skipped++;
    } else {
      (*t)->fn();
      double dt = now_seconds() - t0;
      if (failed_checks) {
        if (nruns)
          show_tail(&runs[nruns - 1], 25);
        printf("FAIL %s (%.2fs)\n", (*t)->name, dt);
        failed++;
      } else {
        printf("PASS %s (%.2fs)\n", (*t)->name, dt);
        passed++;
      }
    }
    for (int i = 0; i < nruns; i++)
      qemu_free(&runs[i]);
    nruns = 0;
  }
  if (list)
    return 0;
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}

// ---- QEMU helpers -------------------------------------------------------------

// Where the images are: $HVLAB_BUILD (set by make), else "build".
const char *build_dir(void) {
  const char *b = getenv("HVLAB_BUILD");
  return b && *b ? b : "build";
}

struct qemu_proc *boot_stage(int n, const char *append, int no_h) {
  if (nruns == MAX_RUNS) {
    fprintf(stderr, "run-tests: more than %d QEMU runs in one test\n",
            MAX_RUNS);
    exit(2);
  }
  struct qemu_proc *p = &runs[nruns++];
  char kernel[256];
  snprintf(kernel, sizeof kernel, "%s/step%d/hv.elf", build_dir(), n);
  struct qemu_cfg cfg = {
      .kernel = kernel, .no_h = no_h, .append = append, .timeout = 60};
  memset(p, 0, sizeof(*p));
  if (qemu_run(&cfg, p) < 0) {
    perror("    qemu-system-riscv64");
    CHECK(0, "could not start QEMU for %s", kernel);
    return p;
  }
  // Drop the '\r' of the UART's CR LF so regexes see plain lines.
  size_t j = 0;
  for (size_t i = 0; i < p->len; i++)
    if (p->out[i] != '\r')
      p->out[j++] = p->out[i];
  p->len = j;
  p->out[j] = 0;
  if (getenv("HVTEST_VERBOSE"))
    printf("---- %s %s ----\n%s---- end ----\n", kernel, append ? append : "",
           p->out);
  return p;
}

static int search(const struct qemu_proc *p, const char *re, regmatch_t *m,
                  int nm) {
  regex_t r;
  if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE) != 0) {
    // A typo in a test's pattern must not pass as "no match".
    CHECK(0, "the test's regex /%s/ does not compile", re);
    return 0;
  }
  if (!p->out) {
    regfree(&r);
    return 0;
  }
  int ok = regexec(&r, p->out, (size_t)nm, m, 0) == 0;
  regfree(&r);
  return ok;
}

int output_has(const struct qemu_proc *p, const char *re) {
  regmatch_t m[1];
  return search(p, re, m, 1);
}

long output_num(const struct qemu_proc *p, const char *re) {
  regmatch_t m[2];
  if (!search(p, re, m, 2) || m[1].rm_so < 0)
    return -1;
  return strtol(p->out + m[1].rm_so, NULL, 0);
}

void expect_status_(const struct qemu_proc *p, int st, const char *file,
                    int line) {
  char why[128];
  check_(!p->timed_out && !p->flooded && !p->signal && p->status == st, file,
         line, "expected exit status %d, got: %s", st,
         qemu_verdict(p, why, sizeof why));
}

void show_tail(const struct qemu_proc *p, int lines) {
  if (!p->out)
    return;
  const char *s = p->out + p->len;
  int n = 0;
  while (s > p->out && n <= lines)
    if (*--s == '\n')
      n++;
  printf("    --- last lines of the console ---\n");
  for (const char *l = s; *l;) {
    const char *e = strchr(l, '\n');
    int len = e ? (int)(e - l) : (int)strlen(l);
    if (len || e)
      printf("    | %.*s\n", len, l);
    l = e ? e + 1 : l + len;
  }
}
