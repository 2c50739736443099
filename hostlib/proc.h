// Running a child program for the host tools: QEMU (qemu.c builds its
// command line on top of this), and whatever a test runs (the grader,
// make).
//
// The child gets a process group of its own, so a timeout kills it and
// everything it started, and it is killed if we die (PR_SET_PDEATHSIG).
// Its stdout and stderr come back through a pipe, collected with a cap, so
// a program that floods output cannot fill our memory; a deadline bounds
// the whole run, including a child that closes its output but lingers.
// Every descriptor made here is close-on-exec: in a threaded program,
// another thread's child never inherits this one's pipe.
#pragma once

#include <stddef.h>
#include <sys/types.h>

// The state of a run. The fields are plain to read; the functions below
// change them. (qemu.h's struct qemu_proc holds the same fields by the
// same names.)
#define PROC_FIELDS                                                            \
  pid_t pid; /* also its process group id */                                   \
  int fd;    /* read end of its output pipe, -1 once closed */                 \
  char *out; /* output so far, NUL-terminated */                               \
  size_t len, cap;                                                             \
  size_t max_output;                                                           \
  double start, deadline; /* monotonic seconds; deadline 0: none */            \
  int flooded;            /* killed for exceeding max_output */                \
  int timed_out;          /* killed at the deadline */                         \
  int exited;             /* waitpid has collected it */                       \
  int status;             /* exit code if it exited normally, else -1 */       \
  int signal;             /* the signal that ended it, else 0 */               \
  double seconds;         /* wall time from start to end */                    \
  /* Called once the child has ended but before it is reaped: until then       \
     its pid, and so its process group id, cannot belong to anyone else.       \
     Set it in proc_opts, or right after the start: only proc_pump,            \
     proc_wait and proc_kill reap. NULL: none. */                              \
  void (*on_end)(struct proc * p, void *arg);                                  \
  void *on_end_arg;

struct proc {
  PROC_FIELDS
};

struct proc_opts {
  const char *const *env;  // "NAME=value" strings to add or replace in the
                           // child's environment, NULL-terminated; or NULL
  int stdin_fd;            // > 0: the child reads its stdin from there
                           // (a console, for expect.h); 0: /dev/null
  int stdout_fd;           // > 0: the child's stdout goes there instead of
                           // the pipe (stderr is still collected); 0: pipe
  int keep_fd;             // > 2: a descriptor the child inherits (its
                           // close-on-exec flag is cleared in the child
                           // only); 0: none
  double timeout;          // seconds until it is killed; <= 0: none
  size_t max_output;       // output cap in bytes; 0: PROC_DEFAULT_MAX_OUTPUT
  void (*on_end)(struct proc *p, void *arg);  // see struct proc
  void *on_end_arg;
};
#define PROC_DEFAULT_MAX_OUTPUT (1u << 20)

// Start argv[0] (looked up in PATH) with arguments argv. Returns 0, or -1
// with errno set: ENOENT if it could not be executed, for instance.
// opts may be NULL.
int proc_start(struct proc *p, char *const argv[], const struct proc_opts *o);
// Read output for up to ms milliseconds (or until the child ends); enforce
// the deadline and the output cap. Returns 1 while it runs, 0 once it has
// ended and been reaped.
int proc_pump(struct proc *p, int ms);
// Pump until the child ends (or is killed at its deadline).
void proc_wait(struct proc *p);
// Kill the whole process group now, reap the child, close the pipe.
void proc_kill(struct proc *p);
// proc_kill, and free the output.
void proc_free(struct proc *p);
// How the run ended, in one line ("exit status 0", "timed out after 10.0s
// (killed)", "<name> died of signal 11 (...)"), written into buf.
const char *proc_verdict(const struct proc *p, const char *name, char *buf,
                         size_t n);

// Seconds on the monotonic clock.
double now_seconds(void);
