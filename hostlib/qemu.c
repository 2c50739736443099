// Launching QEMU: see qemu.h.

#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Build QEMU's argv. gdb_fd >= 0 is a listening socket QEMU inherits for
// its gdbstub (QEMU_GDB_AUTO); -1 otherwise.
static int build_argv(const struct qemu_cfg *cfg, int gdb_fd, char **argv,
                      int n, char *buf, size_t bn) {
  int i = 0;
  size_t used = 0;
#define ARG(s)                                                                 \
  do {                                                                         \
    if (i + 1 >= n)                                                            \
      return -1;                                                               \
    argv[i++] = (char *)(s);                                                   \
  } while (0)
// A formatted argument, stored in buf.
#define FARG(...)                                                              \
  do {                                                                         \
    int k_ = snprintf(buf + used, bn - used, __VA_ARGS__);                     \
    if (k_ < 0 || (size_t)k_ >= bn - used)                                     \
      return -1;                                                               \
    ARG(buf + used);                                                           \
    used += (size_t)k_ + 1;                                                    \
  } while (0)

  ARG(cfg->qemu ? cfg->qemu : "qemu-system-riscv64");
  ARG("-M");
  ARG("virt");
  ARG("-cpu");
  ARG(cfg->no_h ? "rv64,h=false" : "rv64,h=true");
  ARG("-m");
  ARG("128M");
  ARG("-smp");
  ARG("1");
  ARG("-bios");
  ARG("default");
  ARG("-display");
  ARG("none");
  ARG("-monitor");
  ARG("none");
  ARG("-serial");
  ARG("stdio");
  ARG("-kernel");
  ARG(cfg->kernel);
  if (cfg->append && cfg->append[0]) {
    ARG("-append");
    ARG(cfg->append);
  }
  if (cfg->icount) {
    ARG("-icount");
    ARG("shift=0,sleep=off");
  }
  if (gdb_fd >= 0) {
    // The socket is already bound and listening: QEMU serves gdb on it, so
    // no other program can take the port between our choice and its bind.
    ARG("-chardev");
    FARG("socket,id=hvgdb,fd=%d,server=on,wait=off", gdb_fd);
    ARG("-gdb");
    ARG("chardev:hvgdb");
  } else if (cfg->gdb_port > 0) {
    ARG("-gdb");
    FARG("tcp:localhost:%d", cfg->gdb_port);
  } else if (cfg->gdb_port == QEMU_GDB_AUTO) {
    ARG("-gdb");
    ARG("tcp:localhost:AUTO");  // only for qemu_argv: a port chosen at start
  }
  if (cfg->halted)
    ARG("-S");
  for (const char *const *e = cfg->extra; e && *e; e++)
    ARG(*e);
  argv[i] = NULL;
  return i;
#undef ARG
#undef FARG
}

int qemu_argv(const struct qemu_cfg *cfg, char **argv, int n, char *buf,
              size_t bn) {
  return build_argv(cfg, -1, argv, n, buf, bn);
}

// A listening TCP socket on 127.0.0.1, on a port the kernel picks.
static int listen_any(int *port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0 ||
      getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    int e = errno;
    close(s);
    errno = e;
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

int qemu_start(const struct qemu_cfg *cfg, struct qemu_proc *p) {
  char *argv[64], buf[256];
  memset(p, 0, sizeof(*p));
  p->fd = -1;
  p->status = -1;
  int gdb_fd = -1;
  if (cfg->gdb_port == QEMU_GDB_AUTO && (gdb_fd = listen_any(&p->gdb_port)) < 0)
    return -1;
  if (cfg->gdb_port > 0)
    p->gdb_port = cfg->gdb_port;
  if (build_argv(cfg, gdb_fd, argv, 64, buf, sizeof buf) < 0) {
    if (gdb_fd >= 0)
      close(gdb_fd);
    errno = E2BIG;
    return -1;
  }
  int pfd[2];  // output pipe
  int efd[2];  // exec-failure pipe: the child writes errno here if exec fails
  // O_CLOEXEC: in a threaded program (the grader) another QEMU forked at
  // the same moment must not inherit this pipe, or our end never sees EOF.
  if (pipe2(pfd, O_CLOEXEC) < 0)
    goto fail_gdb;
  if (pipe2(efd, O_CLOEXEC) < 0) {
    close(pfd[0]);
    close(pfd[1]);
    goto fail_gdb;
  }
  p->start = now_seconds();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pfd[0]), close(pfd[1]), close(efd[0]), close(efd[1]);
    errno = e;
    goto fail_gdb;
  }
  if (pid == 0) {
    setpgid(0, 0);                    // own group: killed as a whole
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // and with us, if we die first
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(pfd[1], 1);
    dup2(pfd[1], 2);
    close(pfd[0]);
    close(pfd[1]);
    close(efd[0]);
    if (gdb_fd >= 0)
      fcntl(gdb_fd, F_SETFD, 0);  // QEMU inherits just this one socket
    execvp(argv[0], argv);
    int e = errno;
    if (write(efd[1], &e, sizeof e) < 0)
      _exit(127);
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so there is no race with kill()
  if (gdb_fd >= 0)
    close(gdb_fd);  // QEMU has its own copy now
  close(pfd[1]);
  close(efd[1]);
  int e = 0;
  ssize_t r = read(efd[0], &e, sizeof e);  // EOF means exec succeeded
  close(efd[0]);
  if (r == (ssize_t)sizeof e) {
    waitpid(pid, NULL, 0);
    close(pfd[0]);
    errno = e;
    return -1;
  }
  p->pid = pid;
  p->fd = pfd[0];
  fcntl(p->fd, F_SETFL, O_NONBLOCK);
  p->max_output = cfg->max_output ? cfg->max_output : QEMU_DEFAULT_MAX_OUTPUT;
  p->cap = 4096;
  p->out = malloc(p->cap);
  if (!p->out) {
    qemu_kill(p);
    errno = ENOMEM;
    return -1;
  }
  p->out[0] = 0;
  p->deadline = cfg->timeout > 0 ? p->start + cfg->timeout : 0;
  return 0;

fail_gdb:
  if (gdb_fd >= 0) {
    int e = errno;
    close(gdb_fd);
    errno = e;
  }
  return -1;
}

static void reap(struct qemu_proc *p, int flags) {
  if (p->exited || p->pid <= 0)
    return;
  int st;
  pid_t r = waitpid(p->pid, &st, flags);
  if (r != p->pid)
    return;
  p->exited = 1;
  p->seconds = now_seconds() - p->start;
  if (WIFEXITED(st))
    p->status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st))
    p->signal = WTERMSIG(st);
}

void qemu_kill(struct qemu_proc *p) {
  if (p->pid > 0 && !p->exited) {
    kill(-p->pid, SIGKILL);
    reap(p, 0);
  }
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
}

static void append(struct qemu_proc *p, const char *b, size_t n) {
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

int qemu_pump(struct qemu_proc *p, int ms) {
  double until = now_seconds() + ms / 1000.0;
  for (;;) {
    double t = now_seconds();
    if (!p->exited && p->deadline && t >= p->deadline) {
      p->timed_out = 1;
      qemu_kill(p);
    }
    if (p->fd < 0) {
      // Output closed. QEMU is normally exiting, but a process can close
      // its output and linger: wait for it only up to the deadline.
      reap(p, WNOHANG);
      if (p->exited)
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
        qemu_kill(p);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(p->fd);  // QEMU closed its output: it is exiting
      p->fd = -1;
    }
  }
}

void qemu_wait(struct qemu_proc *p) {
  while (qemu_pump(p, 1000))
    ;
}

void qemu_free(struct qemu_proc *p) {
  qemu_kill(p);
  free(p->out);
  p->out = NULL;
}

int qemu_run(const struct qemu_cfg *cfg, struct qemu_proc *p) {
  if (qemu_start(cfg, p) < 0)
    return -1;
  qemu_wait(p);
  return 0;
}

const char *qemu_verdict(const struct qemu_proc *p, char *buf, size_t n) {
  if (p->timed_out)
    snprintf(buf, n, "timed out after %.1fs (killed)", p->seconds);
  else if (p->flooded)
    snprintf(buf, n, "output flood: more than %zu bytes (killed)",
             p->max_output);
  else if (p->signal)
    snprintf(buf, n, "QEMU died of signal %d (%s)", p->signal,
             sigdescr_np(p->signal));  // strsignal is not thread-safe
  else
    snprintf(buf, n, "exit status %d", p->status);
  return buf;
}
