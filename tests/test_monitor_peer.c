// The monitor against a fake QEMU gdbstub (a thread on a local port), for
// peers QEMU will not imitate on demand: one that answers a byte at a time
// (every wait must still end: --seconds, SIGTERM), and one whose exit
// trace header makes no sense (the monitor must say so, not show 0 exits
// or 2e18 %).

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfsym.h"
#include "harness.h"
#include "hvlab/trace.h"
#include "rsp.h"

static struct fake {
  int lfd, fd, port;
  int delay_us;  // between the bytes of every reply
  int running;
  volatile int quit;
  uint64_t trace_addr;
  struct exit_trace trace;  // what `m` shows at trace_addr
  pthread_t th;
} fk;

// Send a reply, slowly if asked. Returns -1 once the monitor is gone.
static int fake_put(const char *payload) {
  static char frame[2 * RSP_BUF_MAX + 8];
  size_t n = rsp_encode(payload, strlen(payload), frame, sizeof frame);
  if (fk.delay_us == 0)
    return send(fk.fd, frame, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
  for (size_t i = 0; i < n && !fk.quit; i++) {
    if (send(fk.fd, frame + i, 1, MSG_NOSIGNAL) != 1)
      return -1;
    usleep((useconds_t)fk.delay_us);
  }
  return 0;
}

static void fake_mem(unsigned long long addr, size_t len, char *out) {
  const unsigned char *t = (const unsigned char *)&fk.trace;
  for (size_t i = 0; i < len; i++) {
    unsigned long long a = addr + i;
    unsigned char b = a >= fk.trace_addr && a - fk.trace_addr < sizeof fk.trace
                          ? t[a - fk.trace_addr]
                          : 0;
    snprintf(out + 2 * i, 3, "%02x", b);
  }
}

static int fake_answer(const char *p) {
  static char r[2 * RSP_BUF_MAX];
  unsigned long long addr;
  size_t len;
  if (!strncmp(p, "qSupported", 10))
    return fake_put("PacketSize=1000");
  if (!strcmp(p, "?"))
    return fake_put("S05");
  if (p[0] == 'p')
    return fake_put("0000000000000000");
  if (p[0] == 'g') {
    memset(r, '0', 33 * 16);
    r[33 * 16] = 0;
    return fake_put(r);
  }
  if (sscanf(p, "m%llx,%zx", &addr, &len) == 2 && len < RSP_BUF_MAX / 2) {
    fake_mem(addr, len, r);
    return fake_put(r);
  }
  if (p[0] == 'c') {
    fk.running = 1;  // the stop comes with the next 0x03
    return 0;
  }
  if (p[0] == 'Z' || p[0] == 'z' || p[0] == 'D' || !strncmp(p, "qRcmd", 5))
    return fake_put("OK");
  return fake_put("");  // not supported
}

static void *fake_main(void *arg) {
  (void)arg;
  fk.fd = accept(fk.lfd, NULL, NULL);
  struct rsp_dec *d = malloc(sizeof *d);
  rsp_dec_init(d, 0);
  unsigned char in[4096];
  while (fk.fd >= 0 && d && !fk.quit) {
    struct pollfd pf = {.fd = fk.fd, .events = POLLIN};
    if (poll(&pf, 1, 100) <= 0)
      continue;
    ssize_t n = recv(fk.fd, in, sizeof in, 0);
    if (n <= 0)
      break;
    int gone = 0;
    for (size_t at = 0; at < (size_t)n && !gone;) {
      struct rsp_event ev;
      at += rsp_dec_feed(d, in + at, (size_t)n - at, &ev);
      if (ev.kind == RSP_EV_PACKET)
        gone =
            send(fk.fd, "+", 1, MSG_NOSIGNAL) != 1 || fake_answer(ev.data) < 0;
      else if (ev.kind == RSP_EV_INTR && fk.running) {
        fk.running = 0;
        gone = fake_put("S02") < 0;
      }
    }
    if (gone)
      break;
  }
  free(d);
  if (fk.fd >= 0)
    close(fk.fd);
  return NULL;
}

// Listen, with a trace of `total` exits whose ecall counter says `ecalls`.
static int fake_start(const char *elf, int delay_us, uint64_t total,
                      uint64_t ecalls) {
  memset(&fk, 0, sizeof fk);
  fk.fd = -1;
  fk.delay_us = delay_us;
  char err[200];
  struct elfsym *e = elfsym_open(elf, err, sizeof err);
  CHECK(e && elfsym_lookup(e, "exit_trace", &fk.trace_addr, NULL) == 0,
        "no exit_trace in %s", elf);
  if (e)
    elfsym_close(e);
  struct exit_trace *t = &fk.trace;
  t->magic = TRACE_MAGIC;
  t->version = TRACE_VERSION;
  t->record_size = sizeof(struct exit_record);
  t->capacity = TRACE_CAP;
  t->ncount = TRACE_NCOUNT;
  t->counts_off = (trace_u32)offsetof(struct exit_trace, count);
  t->ring_off = (trace_u32)offsetof(struct exit_trace, ring);
  t->total = total;
  t->count[10] = ecalls;
  for (uint64_t s = total > TRACE_CAP ? total - TRACE_CAP + 1 : 1; s <= total;
       s++) {
    struct exit_record *r = &t->ring[(s - 1) % TRACE_CAP];
    r->seq = s;
    r->cause = 10;
  }
  fk.lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(fk.lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(fk.lfd, 1) < 0 ||
      getsockname(fk.lfd, (struct sockaddr *)&a, &len) < 0) {
    CHECK(0, "listen: %s", strerror(errno));
    return -1;
  }
  fk.port = ntohs(a.sin_port);
  pthread_create(&fk.th, NULL, fake_main, NULL);
  return 0;
}

static void fake_stop(void) {
  fk.quit = 1;
  shutdown(fk.lfd, SHUT_RDWR);  // an accept still waiting returns
  pthread_join(fk.th, NULL);
  close(fk.lfd);
}

// Run the monitor against the fake: its status and output (in out), how
// long it took. sigterm_after > 0: send SIGTERM then.
static double run_monitor(const char *extra, double sigterm_after, int *status,
                          char *out, size_t outsz) {
  char mon[256], elf[256], port[16], log[64];
  snprintf(mon, sizeof mon, "%s/host/monitor", build_dir());
  snprintf(elf, sizeof elf, "%s/step3/hv.elf", build_dir());
  snprintf(port, sizeof port, "127.0.0.1:%d", fk.port);
  snprintf(log, sizeof log, "/tmp/hvtest-peer-%d.log", (int)getpid());
  double t0 = now_seconds();
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = fopen(log, "w");
    if (!f)
      _exit(127);
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    // Under timeout(1): a monitor that ignores its limits fails the test
    // at 60 s instead of hanging the run.
    if (extra[0])
      execl("/usr/bin/timeout", "timeout", "60", mon, "--elf", elf, "--connect",
            port, "--batch", "--seconds", extra, (char *)NULL);
    else
      execl("/usr/bin/timeout", "timeout", "60", mon, "--elf", elf, "--connect",
            port, "--batch", (char *)NULL);
    _exit(127);
  }
  if (sigterm_after > 0) {
    // Wait for the monitor itself (timeout's child), then signal it.
    usleep((useconds_t)(sigterm_after * 1e6));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "pkill -TERM -P %d", (int)pid);
    if (system(cmd) != 0)
      CHECK(0, "no monitor to send SIGTERM to");
  }
  int ws;
  waitpid(pid, &ws, 0);
  double dt = now_seconds() - t0;
  *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  FILE *f = fopen(log, "r");
  size_t n = f ? fread(out, 1, outsz - 1, f) : 0;
  out[n] = 0;
  if (f)
    fclose(f);
  unlink(log);
  return dt;
}

static char elf3[256];

static const char *elf(void) {
  snprintf(elf3, sizeof elf3, "%s/step3/hv.elf", build_dir());
  return elf3;
}

// A byte every 0.4 ms: each packet comes well within the request timeout,
// but the whole ring takes 15 s and more. --seconds 2 ends it.
TEST(monitor_slow_peer_honours_seconds) {
  if (fake_start(elf(), 400, 1000, 1000) < 0)
    return;
  static char out[1 << 16];
  int st;
  double dt = run_monitor("2", 0, &st, out, sizeof out);
  fake_stop();
  CHECK(dt < 8, "--seconds 2 took %.1f s (status %d):\n%s", dt, st, out);
  CHECK(st != 124, "timeout(1) had to end it:\n%s", out);
  CHECK(strstr(out, "monitor: "), "no message (status %d):\n%s", st, out);
}

// The same peer, and SIGTERM: every wait ends at once.
TEST(monitor_slow_peer_sigterm) {
  if (fake_start(elf(), 400, 1000, 1000) < 0)
    return;
  static char out[1 << 16];
  int st;
  double dt = run_monitor("", 2, &st, out, sizeof out);
  fake_stop();
  CHECK(dt < 3.5, "SIGTERM at 2 s, the monitor ended at %.1f s:\n%s", dt, out);
  CHECK(st != 124, "timeout(1) had to end it:\n%s", out);
}

// A trace whose counters do not add up to its total (a guest in stage 3
// can overwrite it): a warning, and no percentage over 100.
TEST(monitor_corrupt_trace_is_flagged) {
  if (fake_start(elf(), 0, 1000000000000ULL, 5) < 0)
    return;
  static char out[1 << 16];
  int st;
  run_monitor("1", 0, &st, out, sizeof out);
  fake_stop();
  CHECK(strstr(out, "WARNING: the trace's counters add up to 5, its total "
                    "says 1000000000000"),
        "no warning:\n%s", out);
  const char *row = strstr(out, "\necall from VS-mode");
  double pct = 0;
  CHECK(row && sscanf(row + 19, "%*s %lf", &pct) == 1 && pct <= 100,
        "ecall row %.0f %%:\n%s", pct, out);
}

// hostlib's session limits on their own (the grader shares this client):
// a stub that accepts and then says nothing keeps a connect waiting for
// its request timeout (5 s here) unless the give-up time comes first, or
// the cancel flag is set.
TEST(rsp_limits_end_a_silent_wait) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 &&
            listen(lfd, 4) == 0 &&
            getsockname(lfd, (struct sockaddr *)&a, &len) == 0,
        "listen: %s", strerror(errno));
  static struct rsp_client c;
  c.timeout_ms = 5000;
  // The connection is queued by the kernel: connect succeeds, the
  // handshake's first request waits.
  struct rsp_limits lim = {.give_up_at = now_seconds() + 0.3};
  double t0 = now_seconds();
  int r = rsp_connect_limited(&c, "127.0.0.1", ntohs(a.sin_port), 1000, &lim);
  double dt = now_seconds() - t0;
  CHECK(r == RSP_ETIMEOUT && strstr(rsp_error(&c), "out of time"),
        "give-up: %d '%s'", r, rsp_error(&c));
  CHECK(dt < 1.5, "give-up at 0.3 s, connect returned at %.2f s", dt);
  volatile sig_atomic_t cancel = 1;
  lim = (struct rsp_limits){.cancel = &cancel};
  r = rsp_connect_limited(&c, "127.0.0.1", ntohs(a.sin_port), 1000, &lim);
  CHECK(r == RSP_EIO && strstr(rsp_error(&c), "cancelled"), "cancel: %d '%s'",
        r, rsp_error(&c));
  close(lfd);
}
