// Helpers for the grader's own tests (tests/test_grader*.c): run the grade
// binary as a student or an instructor would, with fake QEMUs and broken
// copies of the stages, and look at what it printed and wrote.
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "harness.h"
#include "proc.h"

// For WATCHDOG_GRACE and the timeouts: the grader's own values.
#include "../grader/grade.h"

// A program a test runs (the grader, make): hostlib's proc.h does the
// work -- its own process group, stdout and stderr collected (up to 4 MB),
// killed with its group at the deadline. env: "NAME=value" strings to set
// (NULL-terminated, or NULL). out_fd >= 0: stdout goes there instead (stderr
// is still collected). Returns 0, or -1 if it could not be started. Then
// proc_wait(c) runs it to its end, and proc_free(c) cleans up.
int cmd_start(struct proc *c, char *const argv[], const char *const env[],
              int out_fd, double timeout);

// build/host/grade (under $HVLAB_BUILD); SKIPs the test if it is missing.
const char *grade_bin(void);
// Run the grader with these arguments (NULL-terminated) and env; CHECKs
// that it finished within timeout seconds and was not killed by a signal.
void run_grade(struct proc *c, const char *const args[],
               const char *const env[], double timeout);
// Timing checks are relative to the --timeout a test passes, never bare
// seconds: the machine is shared and may be slow. A grader run whose tests
// all end at their timeout, in `waves` rounds (tests / -j, rounded up),
// takes at most waves * (timeout + WATCHDOG_GRACE); this allows twice that
// plus 4 s, still far below what a timeout that does not hold would cost.
double grade_time_limit(double timeout, int waves);
// The longest "(N.Ns)" of the grader's per-test lines, or -1 if none.
double longest_test(const char *out);
// Print the grader's output (on failure, to see why).
void show_output(const struct proc *c);

// A fresh directory under $TMPDIR (malloc'd path); rm -rf it.
char *make_tmpdir(const char *tag);
void remove_tree(const char *dir);
int write_text(const char *path, const char *text, int mode);
char *read_text(const char *path, size_t *len);  // malloc'd, or NULL

// The grader's "Score: got/max" line: 0, or -1 if there is none.
int grade_score(const char *out, int *got, int *max);
// A stage's own "stepN: got/max (secs)" line: 0, or -1 if there is none.
int stage_score(const char *out, int stage, int *got, int *max);
// Lines of text matching an extended regex.
int count_lines(const char *text, const char *regex);
// Is s one well-formed JSON value in valid UTF-8? On error, why.
int json_valid(const char *s, char *why, size_t n);
// Does the text contain a byte that XML 1.0 cannot hold?
int xml_has_bad_bytes(const char *s);
// Is the process gone (or a zombie)?
int process_gone(pid_t pid);
