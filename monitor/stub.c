// A gdbstub of our own, so that gdb can debug the hypervisor while the
// monitor watches it: gdb connects to us, and we pass its packets on to
// QEMU's gdbstub over the one connection the monitor already has.
//
// Why not let gdb talk to QEMU directly? QEMU's gdbstub takes one client.
// Sharing ours means deciding, for every stop, whose it is: the monitor
// interrupts the target ten times a second to read the trace, and gdb must
// never see those stops, while every stop gdb caused (its breakpoint, its
// step, its Ctrl-C) must reach it. QEMU reports an interrupt as signal 2
// (SIGINT) and a breakpoint or step as 5 (SIGTRAP), which tells them apart
// (target.c: handle_stop).
//
// The two sides are separate RSP links: we answer gdb's acks ourselves,
// and QEMU's side stays in no-ack mode. A few packets are ours to answer:
// QStartNoAckMode (our link), D and k (gdb leaving: QEMU keeps running,
// watched by the monitor, rather than detaching or dying).

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

struct stub_bp {
  char pkt[48];  // the Z packet gdb sent, to undo with a z on detach
};

struct stub {
  struct target *t;
  int lfd, cfd, port;
  int noack;      // gdb asked for no-ack mode
  int want_stop;  // gdb sent 0x03 and waits for the stop
  int stepping;   // gdb's resume was a step: do not poll meanwhile
  int ack;        // a '+' is owed for the packet being handled
  struct stub_bp bp[64];
  int nbp;
  char *last;  // the last packet sent, for a '-'
  size_t lastlen;
  unsigned char in[4096];
  struct rsp_dec dec;
  char buf[RSP_BUF_MAX + 1];  // a reply from QEMU
};

struct stub *the_stub;

static void trace_pkt(const char *dir, const char *p, size_t n);

struct stub *stub_open(struct target *t, int port) {
  struct stub *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->t = t;
  s->cfd = -1;
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(s->lfd, 1) < 0 ||
      getsockname(s->lfd, (struct sockaddr *)&a, &len) < 0) {
    mon_log("monitor: gdb stub on port %d: %s", port, strerror(errno));
    if (s->lfd >= 0)
      close(s->lfd);
    free(s);
    return NULL;
  }
  s->port = ntohs(a.sin_port);
  return s;
}

int stub_port(const struct stub *s) { return s ? s->port : 0; }
int stub_attached(const struct stub *s) { return s && s->cfd >= 0; }
int stub_wants_stop(const struct stub *s) { return s && s->want_stop; }
int stub_stepping(const struct stub *s) { return s && s->stepping; }

int stub_fds(const struct stub *s, int *fds, int max) {
  int n = 0;
  if (!s)
    return 0;
  if (n < max)
    fds[n++] = s->lfd;
  if (s->cfd >= 0 && n < max)
    fds[n++] = s->cfd;
  return n;
}

// Send one packet to gdb, keeping it in case gdb asks for it again.
static void to_gdb(struct stub *s, const char *p, size_t n) {
  if (s->cfd < 0)
    return;
  trace_pkt("<gdb", p, n);
  size_t fsz = 2 * n + 9;
  char *f = malloc(fsz);
  if (!f)
    return;
  // The '+' owed for gdb's packet goes out in the same write as the
  // reply: one segment, not two (each small write can wait for the
  // peer's delayed ACK when Nagle is on: 40 ms a packet, measured).
  f[0] = '+';
  size_t fl = rsp_encode(p, n, f + 1, fsz - 1);
  int off = s->ack ? 0 : 1;
  s->ack = 0;
  for (size_t at = (size_t)off; at < fl + 1;) {
    ssize_t k = send(s->cfd, f + at, fl + 1 - at, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    at += (size_t)k;
  }
  memmove(f, f + 1, fl);  // kept without the '+', for a '-'
  free(s->last);
  s->last = f;
  s->lastlen = fl;
}

static void to_gdb_str(struct stub *s, const char *p) {
  to_gdb(s, p, strlen(p));
}

void stub_forward_stop(struct stub *s, const char *reply, size_t n) {
  if (!s || s->cfd < 0)
    return;
  s->want_stop = 0;
  s->stepping = 0;
  to_gdb(s, reply, n);
}

// ---- The target's side of the hand-over ------------------------------------

// Stop the target for gdb (it expects a stopped target when it connects).
static int gdb_takes_target(struct stub *s) {
  struct target *t = s->t;
  for (int tries = 0; tries < 5 && t->state != ST_ENDED; tries++) {
    if (t->state == ST_GDB_STOPPED)
      return 0;
    if (t->state == ST_PAUSED || tgt_is_stopped(t)) {
      tgt_exit_bp(t, 0);  // gdb would see our breakpoint's stops
      t->state = ST_GDB_STOPPED;
      tgt_phys(t, 0);
      return 0;
    }
    // Running: pause it the way the user would, then take it over.
    enum run_state was = t->state;
    if (was == ST_GDB_RUNNING)
      t->state = ST_RUNNING;
    tgt_pause(t);
  }
  return -1;
}

// gdb is gone: undo its breakpoints and give the target back to the monitor.
static void gdb_leaves(struct stub *s) {
  struct target *t = s->t;
  if (t->state == ST_GDB_RUNNING)
    gdb_takes_target(s);
  if (t->state == ST_GDB_STOPPED) {
    for (int i = 0; i < s->nbp; i++) {
      s->bp[i].pkt[0] = 'z';
      rsp_request(t->rsp, s->bp[i].pkt, s->buf, sizeof s->buf);
    }
    t->state = ST_PAUSED;
    tgt_resume(t);
  }
  s->nbp = 0;
}

static void client_close(struct stub *s) {
  if (s->cfd < 0)
    return;
  trace_pkt("--", "client closed", 13);
  gdb_leaves(s);
  close(s->cfd);
  s->cfd = -1;
  s->noack = s->want_stop = s->stepping = 0;
  tgt_note(s->t, "gdb detached");
}

// ---- gdb's packets -------------------------------------------------------------

static int is_resume(const char *p) {
  if (p[0] == 'c' || p[0] == 'C' || p[0] == 's' || p[0] == 'S')
    return 1;
  return strncmp(p, "vCont;", 6) == 0;
}

static void track_bp(struct stub *s, const char *p) {
  if (p[0] == 'Z' && s->nbp < 64) {
    snprintf(s->bp[s->nbp++].pkt, sizeof s->bp[0].pkt, "%s", p);
    return;
  }
  for (int i = 0; i < s->nbp; i++)
    if (strcmp(s->bp[i].pkt + 1, p + 1) == 0) {
      s->bp[i] = s->bp[--s->nbp];
      return;
    }
}

// HVMON_STUB_LOG=file: every packet both ways, for debugging the stub.
static void trace_pkt(const char *dir, const char *p, size_t n) {
  static FILE *f;
  static int tried;
  if (!tried) {
    tried = 1;
    const char *path = getenv("HVMON_STUB_LOG");
    f = path ? fopen(path, "w") : NULL;
  }
  if (f)
    fprintf(f, "%s %.*s\n", dir, (int)(n > 200 ? 200 : n), p), fflush(f);
}

static void on_packet(struct stub *s, const char *p, size_t n) {
  struct target *t = s->t;
  trace_pkt("gdb>", p, n);
  if (t->state == ST_ENDED) {
    to_gdb_str(s, "W00");
    return;
  }
  if (strcmp(p, "QStartNoAckMode") == 0) {
    to_gdb_str(s, "OK");
    s->noack = 1;
    return;
  }
  if (p[0] == 'D' || p[0] == 'k' || strncmp(p, "vKill", 5) == 0) {
    if (p[0] != 'k')
      to_gdb_str(s, "OK");
    client_close(s);
    return;
  }
  if (t->state != ST_GDB_STOPPED) {
    // All-stop gdb sends nothing but 0x03 while the target runs.
    to_gdb_str(s, "E16");
    return;
  }
  tgt_phys(t, 0);  // gdb's addresses are virtual, as on real hardware
  if (is_resume(p)) {
    if (rsp_send(t->rsp, p, n) < 0) {
      tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
      return;
    }
    t->rsp->running = 1;  // the stop reply comes later, to handle_stop
    t->state = ST_GDB_RUNNING;
    s->stepping =
        p[0] == 's' || p[0] == 'S' || strstr(p, ";s") || strstr(p, ";S");
    return;
  }
  int r = rsp_send(t->rsp, p, n);
  if (r >= 0)
    r = rsp_recv(t->rsp, s->buf, sizeof s->buf, 5000);
  // A monitor command answers with 'O' output packets, then OK.
  while (r > 0 && strncmp(p, "qRcmd,", 6) == 0 && s->buf[0] == 'O' &&
         strcmp(s->buf, "OK") != 0) {
    to_gdb(s, s->buf, (size_t)r);
    r = rsp_recv(t->rsp, s->buf, sizeof s->buf, 5000);
  }
  if (r < 0) {
    tgt_ended(t, "lost the gdbstub: %s", rsp_error(t->rsp));
    to_gdb_str(s, "E05");
    return;
  }
  if ((p[0] == 'Z' || p[0] == 'z') && strcmp(s->buf, "OK") == 0)
    track_bp(s, p);
  to_gdb(s, s->buf, (size_t)r);
}

// Has the client closed its end? Looks without taking anything it sent.
static int client_gone(struct stub *s) {
  char c;
  ssize_t k = recv(s->cfd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return k == 0 ||
         (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void stub_on_readable(struct stub *s, int fd) {
  if (fd == s->lfd) {
    int c = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
      return;
    // A client that has already hung up (its EOF not read yet: both
    // events can come from one poll) must not keep the next one out.
    if (s->cfd >= 0 && client_gone(s))
      client_close(s);
    if (s->cfd >= 0 || s->t->state == ST_ENDED) {
      close(c);  // one gdb at a time, and only while there is a target
      return;
    }
    s->cfd = c;
    // Every reply is one small packet that gdb waits for: send it now.
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rsp_dec_init(&s->dec, RSP_BUF_MAX);
    if (gdb_takes_target(s) < 0) {
      close(s->cfd);
      s->cfd = -1;
      return;
    }
    tgt_note(s->t, "gdb attached");
    return;
  }
  ssize_t n = recv(s->cfd, s->in, sizeof s->in, 0);
  if (n <= 0)
    trace_pkt("--", "recv <= 0", 9);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    client_close(s);
    return;
  }
  for (size_t at = 0; at < (size_t)n && s->cfd >= 0;) {
    struct rsp_event ev;
    at += rsp_dec_feed(&s->dec, s->in + at, (size_t)n - at, &ev);
    switch (ev.kind) {
    case RSP_EV_PACKET:
      s->ack = !s->noack;  // sent with the reply (to_gdb), or just after
      on_packet(s, ev.data, ev.len);
      if (s->ack && s->cfd >= 0)
        send(s->cfd, "+", 1, MSG_NOSIGNAL);
      s->ack = 0;
      break;
    case RSP_EV_INTR:
      if (s->t->state == ST_GDB_RUNNING && !s->want_stop) {
        s->want_stop = 1;
        rsp_send_intr(s->t->rsp);
      }
      break;
    case RSP_EV_NAK:
      if (s->last)
        send(s->cfd, s->last, s->lastlen, MSG_NOSIGNAL);
      break;
    case RSP_EV_BADSUM:
    case RSP_EV_BADRLE:
    case RSP_EV_TOOLONG: send(s->cfd, "-", 1, MSG_NOSIGNAL); break;
    default: break;
    }
  }
}

// The target ended: tell gdb, and let it go.
void stub_target_ended(struct stub *s) {
  if (!s || s->cfd < 0)
    return;
  to_gdb_str(s, "W00");
  close(s->cfd);
  s->cfd = -1;
}

void stub_close(struct stub *s) {
  if (!s)
    return;
  if (s->cfd >= 0)
    client_close(s);
  close(s->lfd);
  free(s->last);
  free(s);
}
