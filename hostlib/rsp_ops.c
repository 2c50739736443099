// The RSP client's operations: registers, memory, breakpoints, run
// control and monitor commands. See rsp.h.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu.h"
#include "rsp_priv.h"

// ---- Registers -------------------------------------------------------------------

int rsp_reg_num(const struct rsp_client *c, const char *name) {
  return rsp_regs_find(&c->regs, name);
}

// A register's size in bytes: from the table, else the usual 64 bits.
static int reg_bytes(const struct rsp_client *c, int num) {
  const struct rsp_reg *r = rsp_regs_get(&c->regs, num);
  return r && r->bitsize > 0 ? (r->bitsize + 7) / 8 : 8;
}

int rsp_read_reg(struct rsp_client *c, int num, uint64_t *v) {
  int r = rsp_call_(c, "p%x", num);
  if (r == RSP_EUNSUP)
    // QEMU says nothing, rather than an error, before target.xml is read.
    return rsp_fail_(c, r, "no value for register %d (target.xml not read?)",
                     num);
  if (r < 0)
    return r;
  if (strchr(c->reply, 'x'))
    return rsp_fail_(c, RSP_EIO, "register %d is unavailable", num);
  if (rsp_hex_le64(c->reply, (size_t)r, v) < 0)
    return rsp_fail_(c, RSP_EIO,
                     "register %d: bad value '%.40s' (over 64 "
                     "bits?)",
                     num, c->reply);
  return 0;
}

static int lookup(struct rsp_client *c, const char *name) {
  int n = rsp_reg_num(c, name);
  if (n < 0)
    rsp_fail_(c, RSP_EUNSUP, "no register '%s' in the target description",
              name);
  return n < 0 ? RSP_EUNSUP : n;
}

int rsp_read_reg_name(struct rsp_client *c, const char *name, uint64_t *v) {
  int n = lookup(c, name);
  return n < 0 ? n : rsp_read_reg(c, n, v);
}

int rsp_write_reg(struct rsp_client *c, int num, uint64_t v) {
  char hex[17];
  rsp_le64_hex(v, reg_bytes(c, num) > 8 ? 8 : reg_bytes(c, num), hex);
  int r = rsp_call_(c, "P%x=%s", num, hex);
  if (r >= 0 && strcmp(c->reply, "OK") != 0)
    return rsp_fail_(c, RSP_EIO, "P%x got '%.40s'", num, c->reply);
  return r < 0 ? r : 0;
}

int rsp_write_reg_name(struct rsp_client *c, const char *name, uint64_t v) {
  int n = lookup(c, name);
  return n < 0 ? n : rsp_write_reg(c, n, v);
}

int rsp_read_gregs(struct rsp_client *c, uint64_t *regs, int max) {
  int r = rsp_call_(c, "g");
  if (r < 0)
    return r;
  int n = 0;
  for (size_t at = 0; at < (size_t)r && n < max; n++) {
    size_t k = 2 * (size_t)reg_bytes(c, n);
    if (at + k > (size_t)r ||
        rsp_hex_le64(c->reply + at, k > 16 ? 16 : k, &regs[n]) < 0)
      return rsp_fail_(c, RSP_EIO, "bad 'g' reply at register %d", n);
    at += k;
  }
  return n;
}

// ---- Memory -----------------------------------------------------------------

// Bytes per m/M packet: the hex doubles them, and the stub's packet size
// (QEMU: 4096) bounds both the request and the reply.
static size_t mem_chunk(const struct rsp_client *c) {
  size_t ps = c->packet_size < RSP_BUF_MAX ? c->packet_size : RSP_BUF_MAX;
  return (ps - 64) / 2;
}

// Say where a memory access failed, keeping the reason.
static int wrap(struct rsp_client *c, int r, const char *what, size_t n,
                uint64_t addr) {
  char why[sizeof c->err];
  snprintf(why, sizeof why, "%s", c->err);
  return rsp_fail_(c, r, "%s %zu bytes at %#llx: %s", what, n,
                   (unsigned long long)addr, why);
}

int rsp_read_mem(struct rsp_client *c, uint64_t addr, void *buf, size_t n) {
  unsigned char *b = buf;
  while (n > 0) {
    size_t k = n < mem_chunk(c) ? n : mem_chunk(c);
    int r = rsp_call_(c, "m%llx,%zx", (unsigned long long)addr, k);
    if (r < 0)
      return wrap(c, r, "reading", k, addr);
    // A stub may return fewer bytes than asked for, never more.
    long got = rsp_hex_decode(c->reply, (size_t)r, b, k);
    if (got <= 0)
      return rsp_fail_(c, RSP_EIO, "bad 'm' reply at %#llx: '%.40s'",
                       (unsigned long long)addr, c->reply);
    addr += (uint64_t)got;
    b += got;
    n -= (size_t)got;
  }
  return 0;
}

int rsp_write_mem(struct rsp_client *c, uint64_t addr, const void *buf,
                  size_t n) {
  const unsigned char *b = buf;
  while (n > 0) {
    size_t k = n < mem_chunk(c) ? n : mem_chunk(c);
    int h = snprintf(c->req, sizeof c->req,
                     "M%llx,%zx:", (unsigned long long)addr, k);
    rsp_hex_encode(b, k, c->req + h);
    int r = rsp_call_req_(c, (size_t)h + 2 * k);
    if (r >= 0 && strcmp(c->reply, "OK") != 0)
      r = rsp_fail_(c, RSP_EIO, "M got '%.40s'", c->reply);
    if (r < 0)
      return wrap(c, r, "writing", k, addr);
    addr += k;
    b += k;
    n -= k;
  }
  return 0;
}

// ---- Breakpoints -----------------------------------------------------------------

static int zpacket(struct rsp_client *c, char z, int type, uint64_t addr,
                   int kind) {
  int r = rsp_call_(c, "%c%d,%llx,%d", z, type, (unsigned long long)addr, kind);
  if (r >= 0 && strcmp(c->reply, "OK") != 0)
    return rsp_fail_(c, RSP_EIO, "%c%d got '%.40s'", z, type, c->reply);
  if (r == RSP_EUNSUP)
    rsp_fail_(c, r, "the stub has no type %d breakpoints", type);
  return r < 0 ? r : 0;
}

int rsp_break_insert(struct rsp_client *c, int type, uint64_t addr, int kind) {
  return zpacket(c, 'Z', type, addr, kind);
}

int rsp_break_remove(struct rsp_client *c, int type, uint64_t addr, int kind) {
  return zpacket(c, 'z', type, addr, kind);
}

// ---- Run control -------------------------------------------------------------------

// Send a resume packet: its answer is the stop reply, whenever that comes.
static int resume(struct rsp_client *c, const char *pkt) {
  if (c->running)
    return rsp_fail_(c, RSP_ESTATE, "the target is already running");
  int r = rsp_send(c, pkt, strlen(pkt));
  if (r == 0)
    c->running = 1;
  return r;
}

int rsp_continue(struct rsp_client *c) { return resume(c, "c"); }

int rsp_continue_thread(struct rsp_client *c, int tid) {
  char pkt[32];
  snprintf(pkt, sizeof pkt, "vCont;c:%x", tid);
  return resume(c, pkt);
}

int rsp_continue_others(struct rsp_client *c, int tid) {
  // QEMU's threads are its harts, numbered from 1, listed one per reply
  // ("m" and a thread id, or "l" at the end).
  char list[128], pkt[400] = "vCont";
  size_t n = strlen(pkt);
  const char *q = "qfThreadInfo";
  for (int k = 0; k < 64; k++, q = "qsThreadInfo") {
    int r = rsp_request(c, q, list, sizeof list);
    if (r < 0)
      return r;
    if (list[0] != 'm')
      break;
    for (const char *s = list + 1; *s;) {
      const char *end = strchr(s, ','), *dot = strchr(s, '.');
      unsigned long t =
          strtoul(dot && (!end || dot < end) ? dot + 1 : s, NULL, 16);
      if ((int)t != tid && t > 0 && n + 16 < sizeof pkt)
        n += (size_t)snprintf(pkt + n, sizeof pkt - n, ";c:%lx", t);
      if (!end)
        break;
      s = end + 1;
    }
  }
  if (n == strlen("vCont"))
    return rsp_fail_(c, RSP_EIO, "no other thread than %d", tid);
  return resume(c, pkt);
}

static void console_add(struct rsp_client *c, const char *t, size_t n) {
  if (c->console_len + n + 1 > c->console_cap) {
    if (c->console_len + n + 1 > (1u << 20))
      return;  // a megabyte of output unread: drop the rest
    size_t cap = c->console_cap ? c->console_cap : 4096;
    while (c->console_len + n + 1 > cap)
      cap *= 2;
    char *p = realloc(c->console, cap);
    if (!p)
      return;
    c->console = p;
    c->console_cap = cap;
  }
  memcpy(c->console + c->console_len, t, n);
  c->console_len += n;
  c->console[c->console_len] = 0;
}

int rsp_wait_stop(struct rsp_client *c, struct rsp_stop *st, int timeout_ms) {
  if (!c->running)
    return rsp_fail_(c, RSP_ESTATE, "the target is not running");
  double deadline = timeout_ms < 0 ? -1 : now_seconds() + timeout_ms / 1000.0;
  for (;;) {
    int r = rsp_get_(c, deadline, c->reply, sizeof c->reply);
    if (r == RSP_ETIMEOUT)
      return rsp_fail_(c, r, "still running after %d ms", timeout_ms);
    if (r < 0)
      return r;
    if (rsp_parse_stop(c->reply, (size_t)r, st) < 0)
      return rsp_fail_(c, RSP_EIO, "'%.40s' while waiting for a stop",
                       c->reply);
    if (st->kind != 'O') {
      c->running = 0;
      return 0;
    }
    console_add(c, st->text, st->textlen);
  }
}

int rsp_step(struct rsp_client *c, struct rsp_stop *st) {
  int r = resume(c, "s");
  return r < 0 ? r : rsp_wait_stop(c, st, c->timeout_ms);
}

int rsp_interrupt(struct rsp_client *c, struct rsp_stop *st) {
  if (!c->running)
    return rsp_fail_(c, RSP_ESTATE, "the target is not running");
  int r = rsp_send_intr(c);
  return r < 0 ? r : rsp_wait_stop(c, st, c->timeout_ms);
}

int rsp_continue_over(struct rsp_client *c, int type, uint64_t addr, int kind) {
  struct rsp_stop st;
  int r;
  if ((r = rsp_break_remove(c, type, addr, kind)) < 0 ||
      (r = rsp_step(c, &st)) < 0 ||
      (r = rsp_break_insert(c, type, addr, kind)) < 0)
    return r;
  if (st.kind == 'W' || st.kind == 'X')
    return rsp_fail_(c, RSP_ESTATE, "the target ended during the step");
  return rsp_continue(c);
}

int rsp_kill(struct rsp_client *c) {
  // QEMU acks `k` and exits (saying W00 or nothing), so no reply is
  // awaited; we just drain until it closes the connection, briefly.
  char frame[8];
  size_t n = rsp_encode("k", 1, frame, sizeof frame);
  int r = rsp_write_(c, frame, n);
  double deadline = now_seconds() + c->timeout_ms / 1000.0;
  while (r == 0 && rsp_get_(c, deadline, c->reply, sizeof c->reply) >= 0)
    ;
  rsp_close(c);
  return r;
}

int rsp_monitor(struct rsp_client *c, const char *cmd, char *out, size_t max) {
  size_t n = strlen(cmd), got = 0;
  if (7 + 2 * n >= sizeof c->req)
    return rsp_fail_(c, RSP_EIO, "monitor command too long");
  memcpy(c->req, "qRcmd,", 6);
  rsp_hex_encode(cmd, n, c->req + 6);
  int r = rsp_call_req_(c, 6 + 2 * n);
  if (max)
    out[0] = 0;
  // Output comes as 'O' packets, then "OK" (or an error) ends it.
  while (r >= 0 && c->reply[0] == 'O' && strcmp(c->reply, "OK") != 0) {
    struct rsp_stop st;
    if (rsp_parse_stop(c->reply, (size_t)r, &st) < 0)
      return rsp_fail_(c, RSP_EIO, "bad qRcmd output '%.40s'", c->reply);
    if (max > got + 1) {  // keep what fits, but read it all
      size_t k = st.textlen < max - got - 1 ? st.textlen : max - got - 1;
      memcpy(out + got, st.text, k);
      got += k;
      out[got] = 0;
    }
    r = rsp_get_(c, now_seconds() + c->timeout_ms / 1000.0, c->reply,
                 sizeof c->reply);
  }
  if (r < 0)
    return r;
  if (strcmp(c->reply, "OK") != 0)
    return rsp_fail_(c, RSP_EIO, "qRcmd ended with '%.40s'", c->reply);
  return (int)got;
}
