// The RSP client's transport and handshake: see rsp.h.
//
// One request is outstanding at a time: send a packet, wait for the stub's
// '+', then wait for its reply and answer '+'. Every wait has a deadline,
// so a dead or wedged QEMU gives an error message instead of a hang. In
// no-ack mode (if the stub offers it) the '+' / '-' exchange is skipped.

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "qemu.h"
#include "rsp_priv.h"

#define RETRIES 4          // sends of one packet before giving up on it
#define MAX_XML (1 << 20)  // bytes of target description we accept
#define MAX_XML_DOCS 32    // and documents

int rsp_fail_(struct rsp_client *c, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
  return code;
}

const char *rsp_show_(const char *p, size_t n, char *buf, size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < n && k + 4 < max; i++)
    buf[k++] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '.';
  if (n > k && k + 4 <= max)
    buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
  buf[k] = 0;
  return buf;
}

// Did the session's limits (rsp_limits) end the wait? Then the message
// says so, rather than blaming one request's timeout.
static int limit_hit(const struct rsp_client *c) {
  return (c->lim.cancel && *c->lim.cancel) ||
         (c->lim.give_up_at > 0 && now_seconds() >= c->lim.give_up_at);
}

static double deadline_in(int ms) {
  return ms < 0 ? -1 : now_seconds() + ms / 1000.0;
}

int rsp_write_(struct rsp_client *c, const void *p, size_t n) {
  const char *b = p;
  if (c->fd < 0)
    return rsp_fail_(c, RSP_EIO, "not connected");
  while (n > 0) {
    // MSG_NOSIGNAL: a QEMU that went away is an error, not a SIGPIPE
    ssize_t k = send(c->fd, b, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR && c->lim.cancel && *c->lim.cancel)
      return rsp_fail_(c, RSP_EIO, "cancelled");
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0 && (errno == EPIPE || errno == ECONNRESET))
      return rsp_fail_(c, RSP_EIO, "the stub closed the connection");
    if (k <= 0)
      return rsp_fail_(c, RSP_EIO, "write to the stub: %s", strerror(errno));
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

// The next decoder event, reading from the socket as needed.
static int next_event(struct rsp_client *c, double deadline,
                      struct rsp_event *ev) {
  for (;;) {
    if (c->in_pos < c->in_len) {
      c->in_pos +=
          rsp_dec_feed(&c->dec, c->in + c->in_pos, c->in_len - c->in_pos, ev);
      if (ev->kind != RSP_EV_NONE)
        return 0;
      continue;
    }
    if (c->fd < 0)
      return rsp_fail_(c, RSP_EIO, "not connected");
    // The session's limits: checked between reads, however slowly (a
    // byte at a time) the stub keeps its replies coming.
    if (c->lim.cancel && *c->lim.cancel)
      return rsp_fail_(c, RSP_EIO, "cancelled");
    double now = now_seconds();
    if (c->lim.give_up_at > 0 && now >= c->lim.give_up_at)
      return rsp_fail_(c, RSP_ETIMEOUT, "out of time (the session's limit)");
    if (c->lim.give_up_at > 0 && (deadline < 0 || deadline > c->lim.give_up_at))
      deadline = c->lim.give_up_at;
    // Past the deadline, still take what has already arrived (poll with
    // 0 ms): a zero timeout means "anything there now?", not "give up".
    int ms = -1;
    if (deadline >= 0) {
      double left = deadline - now;
      ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
    }
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    int r = poll(&pf, 1, ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return rsp_fail_(c, RSP_EIO, "poll: %s", strerror(errno));
    if (r == 0 && limit_hit(c))
      return rsp_fail_(c, RSP_ETIMEOUT, "out of time (the session's limit)");
    if (r == 0)
      return rsp_fail_(c, RSP_ETIMEOUT, "timed out");
    ssize_t n = read(c->fd, c->in, sizeof c->in);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      return rsp_fail_(c, RSP_EIO, "the stub closed the connection");
    if (n < 0)
      return rsp_fail_(c, RSP_EIO, "read from the stub: %s", strerror(errno));
    c->in_pos = 0;
    c->in_len = (size_t)n;
  }
}

// Copy a packet out to buf, checking that it fits.
static int deliver(struct rsp_client *c, const char *p, size_t n, char *buf,
                   size_t max) {
  if (n + 1 > max)
    return rsp_fail_(c, RSP_EIO, "a %zu-byte reply does not fit in %zu bytes",
                     n, max);
  memmove(buf, p, n);
  buf[n] = 0;
  return (int)n;
}

int rsp_get_(struct rsp_client *c, double deadline, char *buf, size_t max) {
  if (c->pending) {  // it came while we waited for an ack: it is next
    int r = deliver(c, c->pending, c->pending_len, buf, max);
    free(c->pending);
    c->pending = NULL;
    return r;
  }
  for (;;) {
    struct rsp_event ev;
    int r = next_event(c, deadline, &ev);
    if (r < 0)
      return r;
    switch (ev.kind) {
    case RSP_EV_PACKET:
      if (!c->noack && rsp_write_(c, "+", 1) < 0)
        return RSP_EIO;
      return deliver(c, ev.data, ev.len, buf, max);
    case RSP_EV_BADSUM:
    case RSP_EV_BADRLE:
      if (c->noack)  // no way to ask for it again
        return rsp_fail_(c, RSP_EIO, "corrupt packet in no-ack mode");
      if (rsp_write_(c, "-", 1) < 0)
        return RSP_EIO;
      break;
    case RSP_EV_TOOLONG:
      // Acked all the same: asking again would bring the same packet.
      if (!c->noack)
        rsp_write_(c, "+", 1);
      return rsp_fail_(c, RSP_EIO, "the stub sent a packet over %zu bytes",
                       c->dec.max);
    default: break;  // stray '+', '-', 0x03: nothing is waiting for them
    }
  }
}

int rsp_send(struct rsp_client *c, const void *payload, size_t n) {
  char shown[48];
  size_t fsz = 2 * n + 6;
  char *frame = malloc(fsz);
  if (!frame)
    return rsp_fail_(c, RSP_EIO, "out of memory");
  size_t flen = rsp_encode(payload, n, frame, fsz);
  double deadline = deadline_in(c->timeout_ms);
  int r = RSP_EIO;
  for (int tries = 0; tries < RETRIES; tries++) {
    if ((r = rsp_write_(c, frame, flen)) < 0 || c->noack)
      goto out;
    for (;;) {  // wait for the ack
      struct rsp_event ev;
      if ((r = next_event(c, deadline, &ev)) < 0) {
        if (r == RSP_ETIMEOUT && !limit_hit(c))
          rsp_fail_(c, r, "no ack for '%s' within %d ms",
                    rsp_show_(payload, n, shown, sizeof shown), c->timeout_ms);
        goto out;
      }
      if (ev.kind == RSP_EV_ACK)
        goto out;
      if (ev.kind == RSP_EV_NAK)
        break;  // send it again
      if (ev.kind == RSP_EV_PACKET) {
        // QEMU may report a stop (caused by our bytes arriving while it
        // ran) before acking: keep it for the next receive.
        if (!c->noack && (r = rsp_write_(c, "+", 1)) < 0)
          goto out;
        if (c->pending) {  // only one can be kept: never drop one silently
          r = rsp_fail_(c, RSP_EIO, "two packets arrived before an ack");
          goto out;
        }
        c->pending = malloc(ev.len + 1);
        if (!c->pending) {
          r = rsp_fail_(c, RSP_EIO, "out of memory");
          goto out;
        }
        memcpy(c->pending, ev.data, ev.len + 1);
        c->pending_len = ev.len;
      } else if (ev.kind == RSP_EV_BADSUM || ev.kind == RSP_EV_BADRLE) {
        if ((r = rsp_write_(c, "-", 1)) < 0)
          goto out;
      }
    }
  }
  r = rsp_fail_(c, RSP_EIO, "the stub refused '%s' %d times",
                rsp_show_(payload, n, shown, sizeof shown), RETRIES);
out:
  free(frame);
  return r;
}

int rsp_recv(struct rsp_client *c, char *buf, size_t max, int timeout_ms) {
  int r = rsp_get_(c, deadline_in(timeout_ms), buf, max);
  if (r == RSP_ETIMEOUT && !limit_hit(c))
    rsp_fail_(c, r, "no packet from the stub within %d ms", timeout_ms);
  return r;
}

int rsp_send_intr(struct rsp_client *c) { return rsp_write_(c, "\x03", 1); }

int rsp_request(struct rsp_client *c, const char *req, char *buf, size_t max) {
  char shown[48];
  size_t n = strlen(req);
  int r = rsp_send(c, req, n);
  if (r < 0)
    return r;
  r = rsp_get_(c, deadline_in(c->timeout_ms), buf, max);
  if (r == RSP_ETIMEOUT && !limit_hit(c))
    rsp_fail_(c, r, "no reply to '%s' within %d ms",
              rsp_show_(req, n, shown, sizeof shown), c->timeout_ms);
  return r;
}

int rsp_call_req_(struct rsp_client *c, size_t n) {
  char shown[48];
  if (c->running)
    return rsp_fail_(c, RSP_ESTATE, "the target is running: stop it first");
  int r = rsp_send(c, c->req, n);
  if (r < 0)
    return r;
  r = rsp_get_(c, deadline_in(c->timeout_ms), c->reply, sizeof c->reply);
  rsp_show_(c->req, n, shown, sizeof shown);
  if (r == RSP_ETIMEOUT && !limit_hit(c))
    return rsp_fail_(c, r, "no reply to '%s' within %d ms", shown,
                     c->timeout_ms);
  if (r == 0)
    return rsp_fail_(c, RSP_EUNSUP, "the stub does not support '%s'", shown);
  if (r > 0 && (c->enn = rsp_parse_errno(c->reply, (size_t)r)) >= 0)
    return rsp_fail_(c, RSP_EREPLY, "the stub answered E%02x to '%s'", c->enn,
                     shown);
  return r;
}

int rsp_call_(struct rsp_client *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->req, sizeof c->req, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof c->req)
    return rsp_fail_(c, RSP_EIO, "request too long");
  return rsp_call_req_(c, (size_t)n);
}

// ---- Target description --------------------------------------------------------

struct xml_ctx {
  struct rsp_client *c;
  int docs, depth;
};

// Read one whole document of the target description: qXfer replies are
// 'm' (more follows) or 'l' (last) and then the data.
static int fetch_xml(struct rsp_client *c, const char *annex, char **out) {
  size_t len = 0, cap = 4096;
  size_t chunk =
      (c->packet_size < RSP_BUF_MAX ? c->packet_size : RSP_BUF_MAX) / 2 - 16;
  char *doc = malloc(cap);
  if (!doc)
    return rsp_fail_(c, RSP_EIO, "out of memory");
  for (;;) {
    int r = rsp_call_(c, "qXfer:features:read:%s:%zx,%zx", annex, len, chunk);
    if (r < 0 || (c->reply[0] != 'm' && c->reply[0] != 'l')) {
      free(doc);
      return r < 0 ? r : rsp_fail_(c, RSP_EIO, "bad qXfer reply for %s", annex);
    }
    size_t k = (size_t)r - 1;
    if (len + k + 1 > MAX_XML) {
      free(doc);
      return rsp_fail_(c, RSP_EIO, "%s is over %d bytes", annex, MAX_XML);
    }
    while (len + k + 1 > cap)
      cap *= 2;
    char *d = realloc(doc, cap);
    if (!d) {
      free(doc);
      return rsp_fail_(c, RSP_EIO, "out of memory");
    }
    doc = d;
    memcpy(doc + len, c->reply + 1, k);
    len += k;
    if (c->reply[0] == 'l' || k == 0)
      break;
  }
  doc[len] = 0;
  *out = doc;
  return 0;
}

static int parse_doc(struct xml_ctx *x, const char *annex);

static int on_include(void *arg, const char *href) {
  return parse_doc(arg, href);
}

static int parse_doc(struct xml_ctx *x, const char *annex) {
  if (++x->docs > MAX_XML_DOCS || x->depth >= 4)
    return rsp_fail_(x->c, RSP_EIO, "target description nests too deep");
  char *doc = NULL;
  int r = fetch_xml(x->c, annex, &doc);
  if (r < 0)
    return r;
  x->depth++;
  x->c->err[0] = 0;
  r = rsp_regs_parse(&x->c->regs, doc, on_include, x);
  x->depth--;
  free(doc);
  // The parser's own failure (-1: its table could not grow) sets no
  // message; an error from a nested include has set one already.
  if (r == -1 && !x->c->err[0])
    r = rsp_fail_(x->c, RSP_EIO, "out of memory");
  return r;
}

// ---- Connecting ------------------------------------------------------------------

int rsp_connect(struct rsp_client *c, const char *host, int port,
                int timeout_ms) {
  return rsp_connect_limited(c, host, port, timeout_ms, NULL);
}

int rsp_connect_limited(struct rsp_client *c, const char *host, int port,
                        int timeout_ms, const struct rsp_limits *lim) {
  // Everything but the buffers starts at zero.
  memset(c, 0, offsetof(struct rsp_client, in));
  if (lim)
    c->lim = *lim;
  c->in_pos = c->in_len = 0;
  c->timeout_ms = 2000;
  c->packet_size = 256;  // until the stub says otherwise
  rsp_dec_init(&c->dec, RSP_BUF_MAX);
  c->fd = tcp_connect(host, port, timeout_ms);
  if (c->fd < 0)
    return rsp_fail_(c, RSP_EIO, "cannot connect to %s:%d", host, port);

  int r = rsp_call_(c, "qSupported:multiprocess+;swbreak+;hwbreak+");
  if (r < 0)
    goto fail;
  snprintf(c->features, sizeof c->features, "%.*s", (int)sizeof c->features - 1,
           c->reply);
  const char *ps = strstr(c->features, "PacketSize=");
  if (ps)
    c->packet_size = strtoul(ps + 11, NULL, 16);
  // Below this an m/M packet could carry no data at all (mem_chunk):
  // treat a tiny PacketSize as the protocol's customary minimum.
  if (c->packet_size < 256)
    c->packet_size = 256;
  if (strstr(c->features, "QStartNoAckMode+")) {
    if ((r = rsp_call_(c, "QStartNoAckMode")) < 0)
      goto fail;
    c->noack = strcmp(c->reply, "OK") == 0;
  }
  // Connecting stops QEMU; `?` says how (and that it is alive).
  struct rsp_stop st;
  if ((r = rsp_call_(c, "?")) < 0)
    goto fail;
  if (rsp_parse_stop(c->reply, (size_t)r, &st) < 0) {
    r = rsp_fail_(c, RSP_EIO, "'?' got '%s', not a stop reply", c->reply);
    goto fail;
  }
  if (strstr(c->features, "qXfer:features:read+")) {
    struct xml_ctx x = {.c = c};
    if ((r = parse_doc(&x, "target.xml")) < 0)
      goto fail;
  }
  return 0;
fail:;
  char why[sizeof c->err];
  snprintf(why, sizeof why, "%s", c->err);
  rsp_close(c);
  return rsp_fail_(c, r, "%s:%d: %s", host, port, why);
}

void rsp_close(struct rsp_client *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  rsp_regs_free(&c->regs);
  free(c->pending);
  free(c->console);
  c->pending = c->console = NULL;
  c->pending_len = c->console_len = c->console_cap = 0;
  c->running = 0;
}

const char *rsp_error(const struct rsp_client *c) { return c->err; }
