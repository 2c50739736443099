// The grader's speed: how long grading every stage takes, and how much the
// parallel runs buy.
//
// The wall time is the one figure here compared with a fixed goal rather
// than within the run, because it is the figure a student waits for: a
// full `make grade` must stay well under 30 s on a 2-core machine. The
// speed-up (the sum of the tests' own times over the wall time) is a
// same-run ratio, so a slow, shared machine does not skew it.

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "qemu.h"

#define GOAL_SECONDS 30.0
#define KILL_AFTER 300.0

// Sum the time="" of every <testcase> in the JUnit report.
static int junit_times(const char *path, double *sum, int *n) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char line[4096];
  *sum = 0;
  *n = 0;
  while (fgets(line, sizeof line, f)) {
    const char *t = strstr(line, "<testcase ");
    if (t && (t = strstr(t, " time=\""))) {
      *sum += strtod(t + 7, NULL);
      (*n)++;
    }
  }
  fclose(f);
  return 0;
}

BENCH(grade_all, "wall time of `grade` over every built stage (goal <= 30 s "
                 "on 2 cores) and its parallel speed-up (sum of test times / "
                 "wall)") {
  char grade[512], junit[] = "/tmp/hvlab-bench-junit-XXXXXX";
  snprintf(grade, sizeof grade, "%s/host/grade", bench_build_dir());
  if (access(grade, X_OK) != 0) {
    printf("  %s is not built\n", grade);
    return 1;
  }
  int fd = mkstemp(junit);
  if (fd < 0)
    return 1;
  close(fd);
  char results[] = "/tmp/hvlab-bench-results-XXXXXX";
  if (!mkdtemp(results))
    return 1;

  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  double t0 = now_seconds();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    execl(grade, grade, "--build", bench_build_dir(), "--junit", junit,
          "--results", results, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (now_seconds() - t0 > KILL_AFTER) {
      kill(pid, SIGINT);  // the grader takes its QEMUs down with it
      waitpid(pid, &st, 0);
      printf("  grade ran over %.0f s: killed\n", KILL_AFTER);
      return 1;
    }
    usleep(5000);
  }
  double wall = now_seconds() - t0;
  double sum;
  int n;
  int rc = 0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) > 1 ||
      junit_times(junit, &sum, &n) < 0) {
    printf("  grade failed (status %d)\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    rc = 1;
  } else {
    printf("  %d tests on %ld CPU(s): wall %.2f s (goal <= %.0f s: %s)%s\n", n,
           ncpu, wall, GOAL_SECONDS, wall <= GOAL_SECONDS ? "met" : "MISSED",
           WEXITSTATUS(st) ? "; some tests FAILED" : "");
    printf("  sum of per-test times %.2f s; speed-up %.2fx (ideal %ldx)\n", sum,
           wall > 0 ? sum / wall : 0, ncpu < n ? ncpu : (long)n);
  }
  unlink(junit);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", results);
  if (system(cmd) != 0)
    rc = 1;
  return rc;
}
