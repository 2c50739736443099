// Launching QEMU: see qemu.h. The process handling is proc.c's.

#include "qemu.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
  ARG(QEMU_RAM);
  ARG("-smp");
  FARG("%d", cfg->smp > 0 ? cfg->smp : 1);
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
    // nodelay=on, as QEMU's own "-gdb tcp:" sets it: without it each reply
    // waits ~40 ms behind the '+' before it (Nagle against delayed ACK).
    ARG("-chardev");
    FARG("socket,id=hvgdb,fd=%d,server=on,wait=off,nodelay=on", gdb_fd);
    ARG("-gdb");
    ARG("chardev:hvgdb");
  } else if (cfg->gdb_port > 0) {
    ARG("-gdb");
    FARG("tcp:localhost:%d", cfg->gdb_port);
  } else if (cfg->gdb_port == QEMU_GDB_AUTO) {
    ARG("-gdb");
    ARG("tcp:localhost:AUTO");  // only for qemu_argv: a port chosen at start
  }
  if (cfg->disk) {
    // The Makefile's GUEST_DISK= gives the same. The modern transport is
    // the one hostblk.c drives; QEMU puts the device on the highest free
    // virtio-mmio slot. A ',' in -drive's file name is written ",,".
    ARG("-global");
    ARG("virtio-mmio.force-legacy=false");
    ARG("-drive");
    size_t k = used;
    const char *parts[] = {"file=", cfg->disk, ",if=none,format=raw,id=hvdisk"};
    for (int p = 0; p < 3; p++)
      for (const char *s = parts[p]; *s; s++) {
        if (k + 2 >= bn)
          return -1;
        if (p == 1 && *s == ',')
          buf[k++] = ',';
        buf[k++] = *s;
      }
    buf[k] = 0;
    ARG(buf + used);
    used = k + 1;
    ARG("-device");
    ARG("virtio-blk-device,drive=hvdisk");
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
  char *argv[64], buf[1024];
  memset(p, 0, sizeof(*p));
  p->fd = -1;
  p->status = -1;
  int gdb_fd = -1, port = cfg->gdb_port > 0 ? cfg->gdb_port : 0;
  if (cfg->gdb_port == QEMU_GDB_AUTO && (gdb_fd = listen_any(&port)) < 0)
    return -1;
  if (build_argv(cfg, gdb_fd, argv, 64, buf, sizeof buf) < 0) {
    if (gdb_fd >= 0)
      close(gdb_fd);
    errno = E2BIG;
    return -1;
  }
  struct proc_opts o = {
      .keep_fd = gdb_fd > 2 ? gdb_fd : 0,
      .stdin_fd = cfg->stdin_fd,
      .timeout = cfg->timeout,
      .max_output = cfg->max_output ? cfg->max_output : QEMU_DEFAULT_MAX_OUTPUT,
  };
  int r = proc_start(&p->proc, argv, &o);
  int e = errno;
  if (gdb_fd >= 0)
    close(gdb_fd);  // QEMU has its own copy now
  p->gdb_port = port;
  errno = e;
  return r;
}

int qemu_pump(struct qemu_proc *p, int ms) { return proc_pump(&p->proc, ms); }
void qemu_wait(struct qemu_proc *p) { proc_wait(&p->proc); }
void qemu_kill(struct qemu_proc *p) { proc_kill(&p->proc); }
void qemu_free(struct qemu_proc *p) { proc_free(&p->proc); }

int qemu_run(const struct qemu_cfg *cfg, struct qemu_proc *p) {
  if (qemu_start(cfg, p) < 0)
    return -1;
  qemu_wait(p);
  return 0;
}

const char *qemu_verdict(const struct qemu_proc *p, char *buf, size_t n) {
  return proc_verdict(&p->proc, "QEMU", buf, n);
}
