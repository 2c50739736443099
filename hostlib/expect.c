// Driving a program through its console: see expect.h.

#include "expect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void fail(struct expect *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct expect *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->err, sizeof e->err, fmt, ap);
  va_end(ap);
}

// `text`, quoted and escaped for an error message, into buf.
static const char *quote(const char *text, char *buf, size_t n) {
  size_t k = 0;
  buf[k++] = '"';
  for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
    if (k + 8 >= n) {
      memcpy(buf + k, "...", 3);
      k += 3;
      break;
    }
    if (*s == '\r' || *s == '\n')
      k += (size_t)snprintf(buf + k, n - k, "\\%c", *s == '\r' ? 'r' : 'n');
    else if (*s < 0x20 || *s >= 0x7f)
      k += (size_t)snprintf(buf + k, n - k, "\\x%02x", *s);
    else
      buf[k++] = (char)*s;
  }
  buf[k++] = '"';
  buf[k] = 0;
  return buf;
}

static void begin(struct expect *e, const char *name) {
  memset(e, 0, sizeof *e);
  e->in = -1;
  e->p.fd = -1;
  snprintf(e->name, sizeof e->name, "%s", name);
}

// After proc_start (r): keep our end of the child's input, close its end.
static int finish_start(struct expect *e, int r, int sv[2], const char *what) {
  int err = errno;
  close(sv[1]);  // the child has its own copy now (or failed)
  if (r < 0) {
    close(sv[0]);
    fail(e, "cannot start %s: %s", what, strerror(err));
    return -1;
  }
  e->in = sv[0];
  fcntl(e->in, F_SETFL, O_NONBLOCK);
  return 0;
}

int expect_spawn(struct expect *e, char *const argv[], double timeout) {
  const char *base = strrchr(argv[0], '/');
  begin(e, base ? base + 1 : argv[0]);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    fail(e, "socketpair: %s", strerror(errno));
    return -1;
  }
  struct proc_opts o = {.stdin_fd = sv[1], .timeout = timeout};
  int r = proc_start(&e->p, argv, &o);
  return finish_start(e, r, sv, argv[0]);
}

int expect_qemu(struct expect *e, const struct qemu_cfg *cfg) {
  begin(e, "QEMU");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    fail(e, "socketpair: %s", strerror(errno));
    return -1;
  }
  struct qemu_cfg c = *cfg;
  c.stdin_fd = sv[1];
  struct qemu_proc q;
  int r = qemu_start(&c, &q);
  if (r == 0) {
    e->p = q.proc;  // its fields are proc's (qemu.h)
    e->gdb_port = q.gdb_port;
  }
  return finish_start(e, r, sv, cfg->qemu ? cfg->qemu : "qemu-system-riscv64");
}

// Read what the child has written, waiting up to `secs` for something
// (never past the child's own deadline).
static void pump(struct expect *e, double secs) {
  double t = now_seconds();
  if (e->p.deadline && e->p.deadline - t < secs)
    secs = e->p.deadline - t;
  if (secs < 0)
    secs = 0;
  if (e->p.fd >= 0) {
    struct pollfd pf = {.fd = e->p.fd, .events = POLLIN};
    poll(&pf, 1, (int)(secs * 1000) + 1);
    proc_pump(&e->p, 0);
  } else {
    // Output closed: the child is exiting, or lingers (proc_pump waits
    // for it in small steps, up to its deadline).
    proc_pump(&e->p, secs < 0.05 ? 0 : 50);
  }
}

// Why there is no more output to wait for, as the end of an error.
static void ended(struct expect *e, const char *waiting, double secs) {
  char why[128];
  if (e->p.flooded || e->p.timed_out || e->p.exited)
    fail(e, "%s %s, %.1fs after it started, while waiting for %s", e->name,
         proc_verdict(&e->p, e->name, why, sizeof why),
         now_seconds() - e->p.start, waiting);
  else
    fail(e, "%s closed its output while waiting %.1fs for %s", e->name, secs,
         waiting);
}

int expect_any(struct expect *e, const char *const *texts, int n,
               double timeout) {
  char q[200];
  const char *what = n > 0 ? quote(texts[0], q, sizeof q) : "nothing";
  double t0 = now_seconds(), until = t0 + timeout;
  if (!e->p.out) {
    fail(e, "%s was not started", e->name);
    return -1;
  }
  for (;;) {
    // The earliest of the texts after the mark.
    size_t best = 0;
    int which = -1;
    for (int i = 0; i < n; i++) {
      const char *s = memmem(e->p.out + e->mark, e->p.len - e->mark, texts[i],
                             strlen(texts[i]));
      if (s && (which < 0 || (size_t)(s - e->p.out) < best)) {
        best = (size_t)(s - e->p.out);
        which = i;
      }
    }
    if (which >= 0) {
      e->before = e->mark;
      e->match = best;
      e->mark = best + strlen(texts[which]);
      return which;
    }
    double left = until - now_seconds();
    if (e->p.flooded || e->p.fd < 0) {
      // Nothing more can come. Give a child that is exiting a moment to
      // be reaped, so that the error says how it ended.
      if (!e->p.exited && e->p.pid > 0)
        proc_pump(&e->p, left > 1 ? 1000 : left > 0 ? (int)(left * 1000) : 0);
      ended(e, what, now_seconds() - t0);
      return -1;
    }
    if (left <= 0) {
      fail(e, "timed out after %.1fs waiting for %s%s", timeout, what,
           n > 1 ? " (or another)" : "");
      return -1;
    }
    pump(e, left);
  }
}

int expect(struct expect *e, const char *text, double timeout) {
  return expect_any(e, &text, 1, timeout) < 0 ? -1 : 0;
}

int expect_send(struct expect *e, const char *bytes, double timeout) {
  size_t n = strlen(bytes), done = 0;
  double until = now_seconds() + timeout;
  while (done < n) {
    if (e->in < 0) {
      fail(e, "%s's input is closed", e->name);
      return -1;
    }
    ssize_t w = send(e->in, bytes + done, n - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      char why[128];
      if (e->p.fd >= 0)
        pump(e, 0);
      fail(e, "%s does not read its input (%s)%s%s", e->name, strerror(errno),
           e->p.exited ? ": " : "",
           e->p.exited ? proc_verdict(&e->p, e->name, why, sizeof why) : "");
      return -1;
    }
    // Full: wait for room, reading its output meanwhile (it may be
    // blocked writing that, and so not reading).
    double left = until - now_seconds();
    if (left <= 0) {
      fail(e, "timed out after %.1fs: %s does not take its input", timeout,
           e->name);
      return -1;
    }
    struct pollfd pf[2] = {{.fd = e->in, .events = POLLOUT},
                           {.fd = e->p.fd, .events = POLLIN}};
    poll(pf, e->p.fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
    if (e->p.fd >= 0)
      proc_pump(&e->p, 0);
  }
  return 0;
}

int expect_type(struct expect *e, const char *text, double timeout) {
  for (const char *c = text; *c; c++) {
    size_t from = e->p.len;
    char one[2] = {*c, 0};
    if (expect_send(e, one, timeout) < 0)
      return -1;
    // The echo: the character itself (a newline for either line end).
    const char *eol[] = {"\r", "\n"};
    size_t keep = e->mark;
    e->mark = from;
    int r = *c == '\r' || *c == '\n'
                ? expect_any(e, eol, 2, timeout)
                : expect_any(e, (const char *[]){one}, 1, timeout);
    if (r < 0) {
      char q[16], why[sizeof e->err];
      snprintf(why, sizeof why, "%s", e->err);
      fail(e, "no echo of %s (typing %s): %s", quote(one, q, sizeof q), text,
           why);
      e->mark = keep;
      return -1;
    }
  }
  return 0;
}

int expect_end(struct expect *e, double timeout) {
  double until = now_seconds() + timeout;
  if (e->in >= 0) {  // end of input: a program that reads it may end
    close(e->in);
    e->in = -1;
  }
  while (!e->p.exited && e->p.pid > 0) {
    double left = until - now_seconds();
    if (left <= 0) {
      proc_kill(&e->p);
      fail(e, "%s did not exit within %.1fs (killed)", e->name, timeout);
      return -1;
    }
    pump(e, left);
  }
  if (e->p.fd >= 0)
    proc_pump(&e->p, 0);
  char why[128];
  if (e->p.timed_out || e->p.flooded || e->p.signal) {
    fail(e, "%s %s", e->name, proc_verdict(&e->p, e->name, why, sizeof why));
    return -1;
  }
  return e->p.status;
}

void expect_free(struct expect *e) {
  if (e->in >= 0)
    close(e->in);
  e->in = -1;
  proc_free(&e->p);
}

char *expect_output(const struct expect *e, char *buf, size_t n) {
  size_t k = 0;
  for (size_t i = e->before; i < e->match && k + 1 < n; i++)
    if (e->p.out[i] != '\r')
      buf[k++] = e->p.out[i];
  buf[k] = 0;
  return buf;
}

void expect_show(const struct expect *e, FILE *f, int lines) {
  if (!e->p.out)
    return;
  size_t s = e->p.len;
  int nl = 0;
  while (s > 0 && nl <= lines)
    if (e->p.out[--s] == '\n')
      nl++;
  if (e->p.out[s] == '\n')
    s++;
  fprintf(f, "    --- last lines of %s's console (%zu bytes in all) ---\n",
          e->name, e->p.len);
  fputs("    | ", f);
  for (size_t i = s; i < e->p.len; i++) {
    unsigned char c = (unsigned char)e->p.out[i];
    if (c == '\n')
      fputs(i + 1 < e->p.len ? "\n    | " : "", f);
    else if (c == '\r')
      continue;
    else if (c < 0x20 || c >= 0x7f)
      fprintf(f, "\\x%02x", c);
    else
      fputc(c, f);
  }
  fputc('\n', f);
}
