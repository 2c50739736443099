// The RSP packet layer: see rsp.h. Pure functions over byte arrays.
//
// A packet is "$" payload "#" two hex checksum digits; the checksum is the
// sum of the payload bytes *as sent*, modulo 256. Inside the payload:
//   } x    stands for the byte x ^ 0x20 (so '$', '#', '}', '*' can be sent);
//   c * n  stands for c followed by n - 29 more copies of c (n printable).
// Outside packets a peer sends '+' (got it), '-' (resend) or the single
// byte 0x03 (please stop). Anything else there is noise and is skipped.

#include "rsp.h"

#include <stdio.h>
#include <string.h>

enum { IDLE, DATA, ESC, RLE, SUM1, SUM2 };

unsigned rsp_checksum(const void *p, size_t n) {
  const unsigned char *b = p;
  unsigned s = 0;
  for (size_t i = 0; i < n; i++)
    s += b[i];
  return s & 0xff;
}

static int special(unsigned char c) {
  return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t rsp_encode(const void *payload, size_t n, char *out, size_t outsz) {
  const unsigned char *b = payload;
  size_t o = 0;
  unsigned sum = 0;
  if (outsz < 5)
    return 0;
  out[o++] = '$';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = b[i];
    // Room for this byte (escaped: two) plus "#xx" and the NUL.
    if (o + (special(c) ? 2 : 1) + 4 > outsz)
      return 0;
    if (special(c)) {
      out[o++] = '}';
      sum += '}';
      c ^= 0x20;
    }
    out[o++] = (char)c;
    sum += c;
  }
  if (o + 4 > outsz)
    return 0;
  snprintf(out + o, 4, "#%02x", sum & 0xff);
  return o + 3;
}

void rsp_dec_init(struct rsp_dec *d, size_t max) {
  d->state = IDLE;
  d->max = max == 0 || max > RSP_BUF_MAX ? RSP_BUF_MAX : max;
  d->len = 0;
  d->junk = 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Append one decoded byte, or remember that the packet no longer fits.
// Past the maximum we keep reading up to '#' so the stream stays in step.
static void put(struct rsp_dec *d, unsigned char c) {
  if (d->len < d->max)
    d->buf[d->len++] = (char)c;
  else
    d->toolong = 1;
}

static void start(struct rsp_dec *d) {
  d->state = DATA;
  d->len = 0;
  d->sum = 0;
  d->toolong = d->badrle = 0;
}

// The packet ended with its second checksum digit: say what it was.
static void finish(struct rsp_dec *d, struct rsp_event *ev) {
  d->state = IDLE;
  d->buf[d->len] = 0;
  ev->sum_got = d->xx;
  ev->sum_want = d->sum & 0xff;
  if (d->xx != (d->sum & 0xff))
    ev->kind = RSP_EV_BADSUM;  // checked first: a corrupt count is likelier
  else if (d->toolong)         // than a malicious one
    ev->kind = RSP_EV_TOOLONG;
  else if (d->badrle)
    ev->kind = RSP_EV_BADRLE;
  else {
    ev->kind = RSP_EV_PACKET;
    ev->data = d->buf;
    ev->len = d->len;
  }
}

size_t rsp_dec_feed(struct rsp_dec *d, const void *p, size_t n,
                    struct rsp_event *ev) {
  const unsigned char *b = p;
  ev->kind = RSP_EV_NONE;
  ev->data = NULL;
  ev->len = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = b[i];
    switch (d->state) {
    case IDLE:
      if (c == '$')
        start(d);
      else if (c == '+' || c == '-' || c == 0x03) {
        ev->kind = c == '+' ? RSP_EV_ACK : c == '-' ? RSP_EV_NAK : RSP_EV_INTR;
        return i + 1;
      } else
        d->junk++;
      break;
    case DATA:
      if (c == '#') {
        d->state = SUM1;
        break;
      }
      if (c == '$') {       // a new packet before this one ended: the sender
        d->junk += d->len;  // gave up on it, and so do we (as gdb does)
        start(d);
        break;
      }
      d->sum += c;
      if (c == '}')
        d->state = ESC;
      else if (c == '*') {
        if (d->len == 0)  // nothing to repeat yet
          d->badrle = 1;
        d->state = RLE;
      } else
        put(d, c);
      break;
    case ESC:
      d->sum += c;
      put(d, c ^ 0x20);
      d->state = DATA;
      break;
    case RLE:
      // '#' and '$' are never counts (the protocol forbids them there), so
      // they keep their framing meaning; other unprintables are bad counts.
      if (c == '#') {
        d->badrle = 1;
        d->state = SUM1;
        break;
      }
      if (c == '$') {
        d->junk += d->len;
        start(d);
        break;
      }
      d->sum += c;
      d->state = DATA;
      if (c < ' ' || c > '~' || d->len == 0) {
        d->badrle = 1;
        break;
      }
      for (int k = c - 29; k > 0; k--)
        put(d, (unsigned char)d->buf[d->len - 1]);
      break;
    case SUM1:
    case SUM2: {
      int v = hexval(c);
      if (v < 0) {
        // Not a checksum: report it bad (the caller answers '-') and
        // look at this byte afresh, it may start the resent packet.
        d->state = IDLE;
        d->buf[d->len] = 0;
        ev->kind = RSP_EV_BADSUM;
        ev->sum_got = 0x100;  // impossible: "no valid digits"
        ev->sum_want = d->sum & 0xff;
        return i;
      }
      if (d->state == SUM1) {
        d->xx = (unsigned)v << 4;
        d->state = SUM2;
        break;
      }
      d->xx |= (unsigned)v;
      finish(d, ev);
      return i + 1;
    }
    }
  }
  return n;
}

// ---- Hex ---------------------------------------------------------------------

void rsp_hex_encode(const void *data, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *b = data;
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = 0;
}

long rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t max) {
  unsigned char *b = out;
  if (hexlen % 2 || hexlen / 2 > max)
    return -1;
  for (size_t i = 0; i < hexlen; i += 2) {
    int hi = hexval((unsigned char)hex[i]),
        lo = hexval((unsigned char)hex[i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    b[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  return (long)(hexlen / 2);
}

int rsp_hex_le64(const char *hex, size_t hexlen, uint64_t *v) {
  unsigned char b[8];
  long n = rsp_hex_decode(hex, hexlen, b, sizeof b);
  if (n <= 0)
    return -1;
  uint64_t x = 0;
  for (long i = n - 1; i >= 0; i--)
    x = x << 8 | b[i];
  *v = x;
  return 0;
}

void rsp_le64_hex(uint64_t v, int nbytes, char *out) {
  unsigned char b[8];
  for (int i = 0; i < nbytes; i++, v >>= 8)
    b[i] = (unsigned char)v;
  rsp_hex_encode(b, (size_t)nbytes, out);
}

// ---- Replies -----------------------------------------------------------------

int rsp_parse_errno(const char *p, size_t n) {
  if (n != 3 || p[0] != 'E')
    return -1;
  int hi = hexval((unsigned char)p[1]), lo = hexval((unsigned char)p[2]);
  if (hi < 0 || lo < 0)
    return -1;
  return hi << 4 | lo;
}

// A big-endian hex number (how addresses and counts are written) of at
// most max digits from p[*i..n), stopping at the first non-digit.
// Returns -1 if there is none.
static int hexnum(const char *p, size_t n, size_t *i, uint64_t *v, size_t max) {
  size_t s = *i;
  uint64_t x = 0;
  while (*i < n && hexval((unsigned char)p[*i]) >= 0 && *i - s < max)
    x = x << 4 | (uint64_t)hexval((unsigned char)p[(*i)++]);
  *v = x;
  return *i > s ? 0 : -1;
}

// The stop reasons a T reply may name (rsp.h: reason).
static int is_reason(const char *k, size_t n) {
  static const char *const names[] = {
      "watch",     "rwatch", "awatch", "swbreak",   "hwbreak", "library",
      "replaylog", "fork",   "vfork",  "vforkdone", "exec",    "create"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && memcmp(k, names[i], n) == 0)
      return 1;
  return 0;
}

// The "n:r;" pairs of a T reply. Keys that are hex numbers are registers;
// the rest are named (thread, core, swbreak, watch, ...).
static int parse_pairs(const char *p, size_t n, size_t i, struct rsp_stop *st) {
  while (i < n) {
    const char *colon = memchr(p + i, ':', n - i);
    const char *semi = memchr(p + i, ';', n - i);
    if (!colon || (semi && semi < colon))
      return -1;
    size_t klen = (size_t)(colon - (p + i));
    size_t vs = (size_t)(colon - p) + 1;
    size_t ve = semi ? (size_t)(semi - p) : n;
    size_t k = i;
    uint64_t num;
    if (klen > 0 && hexnum(p, n, &k, &num, 16) == 0 && k == i + klen) {
      uint64_t val;
      if (rsp_hex_le64(p + vs, ve - vs, &val) < 0)
        return -1;
      if (st->nregs < (int)(sizeof st->regs / sizeof st->regs[0])) {
        st->regs[st->nregs].num = (int)num;
        st->regs[st->nregs++].val = val;
      }
    } else if (klen == 6 && memcmp(p + i, "thread", 6) == 0) {
      size_t l = ve - vs < sizeof st->thread ? ve - vs : sizeof st->thread - 1;
      memcpy(st->thread, p + vs, l);
      st->thread[l] = 0;
    } else if (is_reason(p + i, klen)) {
      memcpy(st->reason, p + i, klen);
      st->reason[klen] = 0;
      size_t a = vs;
      if (strstr(st->reason, "watch"))  // watch, rwatch, awatch: the address
        hexnum(p, ve, &a, &st->addr, 16);
    }
    i = ve + 1;
  }
  return 0;
}

int rsp_parse_stop(const char *p, size_t n, struct rsp_stop *st) {
  memset(st, 0, offsetof(struct rsp_stop, text));
  st->text[0] = 0;
  if (n == 0)
    return -1;
  st->kind = p[0];
  size_t i = 1;
  uint64_t v;
  switch (p[0]) {
  case 'O': {
    long k = rsp_hex_decode(p + 1, n - 1, st->text, sizeof st->text - 1);
    if (k < 0)
      return -1;  // "OK", for one, is not console output
    st->textlen = (size_t)k;
    st->text[k] = 0;
    return 0;
  }
  case 'S':
  case 'T':
  case 'W':
  case 'X':
    // Exactly two digits: in "T0520:..." the 20 is a register number.
    if (hexnum(p, n, &i, &v, 2) < 0 || i != 3)
      return -1;
    st->sig = (int)v;
    if (p[0] == 'T')
      return parse_pairs(p, n, i, st);
    // S ends here; W and X may add ";process:pid", which we skip.
    return i == n || (p[0] != 'S' && p[i] == ';') ? 0 : -1;
  }
  return -1;
}
