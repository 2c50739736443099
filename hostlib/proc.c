// Running a child program: see proc.h.

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The child's environment: ours, with the entries of set added or
// replaced. Built before fork: the child of a threaded program may only
// call async-signal-safe functions, and setenv() allocates. NULL if there
// is nothing to change (or no memory: then it gets ours unchanged).
static char **make_env(const char *const *set) {
  if (!set || !*set)
    return NULL;
  size_t n = 0, k = 0;
  while (environ[n])
    n++;
  while (set[k])
    k++;
  char **env = malloc((n + k + 1) * sizeof *env);
  if (!env)
    return NULL;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    size_t name = strcspn(environ[i], "=");
    int replaced = 0;
    for (size_t j = 0; j < k && !replaced; j++)
      replaced = strncmp(set[j], environ[i], name) == 0 && set[j][name] == '=';
    if (!replaced)
      env[m++] = environ[i];
  }
  for (size_t j = 0; j < k; j++)
    if (strchr(set[j], '='))
      env[m++] = (char *)set[j];
  env[m] = NULL;
  return env;
}

int proc_start(struct proc *p, char *const argv[], const struct proc_opts *o) {
  static const struct proc_opts none;
  if (!o)
    o = &none;
  memset(p, 0, sizeof *p);
  p->fd = -1;
  p->status = -1;
  p->on_end = o->on_end;
  p->on_end_arg = o->on_end_arg;
  p->max_output = o->max_output ? o->max_output : PROC_DEFAULT_MAX_OUTPUT;
  p->cap = 4096;
  p->out = malloc(p->cap);
  if (!p->out) {
    errno = ENOMEM;
    return -1;
  }
  p->out[0] = 0;

  int pfd[2];  // output pipe
  int efd[2];  // exec-failure pipe: the child writes errno here if exec fails
  // O_CLOEXEC: a child another thread forks meanwhile must not inherit
  // these, or our end of the output pipe never sees end-of-file.
  if (pipe2(pfd, O_CLOEXEC) < 0)
    goto fail;
  if (pipe2(efd, O_CLOEXEC) < 0) {
    int e = errno;
    close(pfd[0]), close(pfd[1]);
    errno = e;
    goto fail;
  }
  char **env = make_env(o->env);
  pid_t parent = getpid();
  p->start = now_seconds();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pfd[0]), close(pfd[1]), close(efd[0]), close(efd[1]);
    free(env);
    errno = e;
    goto fail;
  }
  if (pid == 0) {
    setpgid(0, 0);                     // own group: killed as a whole
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // and with us, if we die first
    if (getppid() != parent)           // ... even if that was just now
      _exit(127);
    // A program that blocks signals in its threads (the grader waits for
    // SIGINT in one thread) must not pass that on: exec keeps the mask.
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(o->stdin_fd > 0 ? o->stdin_fd : null, 0);
    dup2(o->stdout_fd > 0 ? o->stdout_fd : pfd[1], 1);
    dup2(pfd[1], 2);
    if (o->keep_fd > 2)
      fcntl(o->keep_fd, F_SETFD, 0);  // the one descriptor it inherits
    execvpe(argv[0], argv, env ? env : environ);
    int e = errno;
    if (write(efd[1], &e, sizeof e) < 0)
      _exit(127);
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so there is no race with kill()
  free(env);
  close(pfd[1]);
  close(efd[1]);
  int e = 0;
  ssize_t r;
  do  // end-of-file: exec succeeded (the pipe closed with it)
    r = read(efd[0], &e, sizeof e);
  while (r < 0 && errno == EINTR);
  close(efd[0]);
  if (r == (ssize_t)sizeof e) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    close(pfd[0]);
    errno = e;
    goto fail;
  }
  p->pid = pid;
  p->fd = pfd[0];
  fcntl(p->fd, F_SETFL, O_NONBLOCK);
  p->deadline = o->timeout > 0 ? p->start + o->timeout : 0;
  return 0;

fail:
  e = errno;
  free(p->out);
  p->out = NULL;
  p->cap = 0;
  errno = e;
  return -1;
}

// Collect the child if it has ended (flags: WNOHANG) or once it does (0).
// on_end runs first, while the child is still a zombie that holds its pid.
static void reap(struct proc *p, int flags) {
  if (p->exited || p->pid <= 0)
    return;
  siginfo_t si;
  for (;;) {
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | flags) == 0)
      break;
    if (errno != EINTR)
      return;
  }
  if (si.si_pid != p->pid)
    return;  // WNOHANG, and still running
  if (p->on_end)
    p->on_end(p, p->on_end_arg);
  int st;
  while (waitpid(p->pid, &st, 0) < 0)
    if (errno != EINTR)
      return;
  p->exited = 1;
  p->seconds = now_seconds() - p->start;
  if (WIFEXITED(st))
    p->status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st))
    p->signal = WTERMSIG(st);
}

void proc_kill(struct proc *p) {
  if (p->pid > 0 && !p->exited) {
    kill(-p->pid, SIGKILL);
    reap(p, 0);
  }
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
}

static void append(struct proc *p, const char *b, size_t n) {
  if (p->len + n > p->max_output) {
    n = p->max_output - p->len;
    p->flooded = 1;
  }
  if (p->len + n + 1 > p->cap) {
    size_t c = p->cap;
    while (p->len + n + 1 > c)
      c *= 2;
    char *q = realloc(p->out, c);
    if (!q) {
      p->flooded = 1;
      return;
    }
    p->out = q;
    p->cap = c;
  }
  memcpy(p->out + p->len, b, n);
  p->len += n;
  p->out[p->len] = 0;
}

int proc_pump(struct proc *p, int ms) {
  double until = now_seconds() + ms / 1000.0;
  for (;;) {
    double t = now_seconds();
    if (!p->exited && p->deadline && t >= p->deadline) {
      p->timed_out = 1;
      proc_kill(p);
    }
    if (p->fd < 0) {
      // Output closed. The child is normally exiting, but a process can
      // close its output and linger: wait for it only up to the deadline.
      reap(p, WNOHANG);
      if (p->exited || p->pid <= 0)
        return 0;
      if (t >= until)
        return 1;
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    double wait = until - t;
    if (p->deadline && p->deadline - t < wait)
      wait = p->deadline - t;
    if (wait < 0)
      wait = 0;  // still read what is already there (ms = 0: just that)
    struct pollfd pf = {.fd = p->fd, .events = POLLIN};
    int r = poll(&pf, 1, (int)(wait * 1000));
    if (r < 0 && errno != EINTR) {
      close(p->fd);
      p->fd = -1;
      continue;
    }
    if (r <= 0) {
      if (now_seconds() >= until)
        return 1;
      continue;
    }
    char b[8192];
    ssize_t n = read(p->fd, b, sizeof b);
    if (n > 0) {
      append(p, b, (size_t)n);
      if (p->flooded)
        proc_kill(p);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(p->fd);  // the child closed its output: it is exiting
      p->fd = -1;
    }
  }
}

void proc_wait(struct proc *p) {
  while (proc_pump(p, 1000))
    ;
}

void proc_free(struct proc *p) {
  proc_kill(p);
  free(p->out);
  p->out = NULL;
}

const char *proc_verdict(const struct proc *p, const char *name, char *buf,
                         size_t n) {
  if (p->timed_out)
    snprintf(buf, n, "timed out after %.1fs (killed)", p->seconds);
  else if (p->flooded)
    snprintf(buf, n, "output flood: more than %zu bytes (killed)",
             p->max_output);
  else if (p->signal)
    // sigdescr_np, not strsignal: that one is not thread-safe.
    snprintf(buf, n, "%s died of signal %d (%s)", name, p->signal,
             sigdescr_np(p->signal) ? sigdescr_np(p->signal) : "?");
  else
    snprintf(buf, n, "exit status %d", p->status);
  return buf;
}
