// Helpers for the grader's own tests (tests/test_grader*.c): run the grade
// binary as a student or an instructor would, with fake QEMUs and broken
// copies of the stages, and look at what it printed and wrote.
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

// A child process with its stdout and stderr captured.
struct cmd {
  pid_t pid;
  int fd;  // read end of the capture pipe, -1 once closed
  char *out;
  size_t len;
  int exited, status, signal, timed_out;
  double start, seconds;
};

// Start argv in a process group of its own. env: "NAME=value" strings to
// set (NULL-terminated, or NULL). out_fd >= 0: stdout goes there instead
// of the capture pipe (stderr is still captured). Returns 0 or -1.
int cmd_start(struct cmd *c, char *const argv[], const char *const env[],
              int out_fd);
// Collect output until it exits, or kill its group after timeout seconds.
void cmd_wait(struct cmd *c, double timeout);
void cmd_free(struct cmd *c);

// build/host/grade (under $HVLAB_BUILD); SKIPs the test if it is missing.
const char *grade_bin(void);
// Run the grader with these arguments (NULL-terminated) and env; CHECKs
// that it finished within timeout seconds and was not killed by a signal.
void run_grade(struct cmd *c, const char *const args[],
               const char *const env[], double timeout);
// Print the grader's output (on failure, to see why).
void show_output(const struct cmd *c);

// A fresh directory under $TMPDIR (malloc'd path); rm -rf it.
char *make_tmpdir(const char *tag);
void remove_tree(const char *dir);
int write_text(const char *path, const char *text, int mode);
char *read_text(const char *path, size_t *len);  // malloc'd, or NULL

// The grader's "Score: got/max" line: 0, or -1 if there is none.
int grade_score(const char *out, int *got, int *max);
// Lines of text matching an extended regex.
int count_lines(const char *text, const char *regex);
// Is s one well-formed JSON value in valid UTF-8? On error, why.
int json_valid(const char *s, char *why, size_t n);
// Does the text contain a byte that XML 1.0 cannot hold?
int xml_has_bad_bytes(const char *s);
// Is the process gone (or a zombie)?
int process_gone(pid_t pid);
