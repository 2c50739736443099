// Properties of the RSP packet decoder, checked on arbitrary input by the
// fuzzer (fuzz_rsp.c) and on fixed pseudo-random input by `make test`
// (tests/test_rsp_random.c). Header-only so both can include it.
//
// For any byte stream:
//   1. no packet is longer than the decoder's maximum;
//   2. how the stream is cut into chunks changes nothing: feeding it in
//      the given chunk sizes yields the same events as feeding it whole;
//   3. every packet, framed again by rsp_encode, decodes to itself, alone
//      and consuming the whole frame.
#pragma once

#include <stdlib.h>
#include <string.h>

#include "rsp.h"

struct rsp_evrec {
  int kind;
  size_t len;
  unsigned long hash;  // of the payload, for packets
};

struct rsp_evlog {
  struct rsp_evrec *v;
  size_t n, cap;
};

static unsigned long rsp_props_hash(const char *p, size_t n) {
  unsigned long h = 1469598103934665603ul;  // FNV-1a
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ul;
  return h;
}

// Property 3 for one packet. Returns NULL or what went wrong.
static const char *rsp_props_roundtrip(const char *p, size_t n, size_t max) {
  static struct rsp_dec d;  // static: about 16 KB
  static char frame[2 * RSP_BUF_MAX + 8];
  size_t fl = rsp_encode(p, n, frame, sizeof frame);
  if (fl == 0)
    return "rsp_encode refused a packet the decoder produced";
  rsp_dec_init(&d, max);
  struct rsp_event ev;
  size_t used = rsp_dec_feed(&d, frame, fl, &ev);
  if (ev.kind != RSP_EV_PACKET || used != fl)
    return "a re-encoded packet did not decode as one packet";
  if (ev.len != n || memcmp(ev.data, p, n) != 0)
    return "a re-encoded packet decoded to different bytes";
  return NULL;
}

// Feed data[0..n) to a fresh decoder, in chunks whose sizes come from
// sizes[] (cycled; 0 means 1), logging events. Returns NULL or an error.
static const char *rsp_props_run(const unsigned char *data, size_t n,
                                 size_t max, const unsigned char *sizes,
                                 size_t nsizes, struct rsp_evlog *log,
                                 int roundtrip) {
  static struct rsp_dec d;
  rsp_dec_init(&d, max);
  log->n = 0;
  size_t at = 0, k = 0;
  while (at < n) {
    size_t chunk = nsizes ? sizes[k++ % nsizes] : n;
    if (chunk == 0)
      chunk = 1;
    if (chunk > n - at)
      chunk = n - at;
    size_t end = at + chunk;
    while (at < end) {  // one chunk may hold several events
      struct rsp_event ev;
      size_t used = rsp_dec_feed(&d, data + at, end - at, &ev);
      if (used > end - at)
        return "rsp_dec_feed consumed more than it was given";
      if (used == 0 && ev.kind == RSP_EV_NONE)
        return "rsp_dec_feed made no progress";
      at += used;
      if (ev.kind == RSP_EV_NONE)
        continue;
      if (ev.kind == RSP_EV_PACKET) {
        if (ev.len > d.max)
          return "a packet is longer than the maximum";
        if (ev.data[ev.len] != 0)
          return "a packet is not NUL-terminated";
        if (roundtrip) {
          const char *e = rsp_props_roundtrip(ev.data, ev.len, max);
          if (e)
            return e;
        }
      }
      if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 64;
        struct rsp_evrec *v = realloc(log->v, cap * sizeof *v);
        if (!v)
          return "out of memory";
        log->v = v;
        log->cap = cap;
      }
      log->v[log->n++] = (struct rsp_evrec){
          ev.kind, ev.len,
          ev.kind == RSP_EV_PACKET ? rsp_props_hash(ev.data, ev.len) : 0};
    }
  }
  return NULL;
}

// All three properties for one input. Returns NULL or what went wrong.
static const char *rsp_props_check(const unsigned char *data, size_t n,
                                   size_t max, const unsigned char *sizes,
                                   size_t nsizes) {
  static struct rsp_evlog chunked, whole;
  const char *e = rsp_props_run(data, n, max, sizes, nsizes, &chunked, 1);
  if (!e)
    e = rsp_props_run(data, n, max, NULL, 0, &whole, 0);
  if (!e && chunked.n != whole.n)
    e = "chunked and whole feeding gave different numbers of events";
  for (size_t i = 0; !e && i < whole.n; i++)
    if (chunked.v[i].kind != whole.v[i].kind ||
        chunked.v[i].len != whole.v[i].len ||
        chunked.v[i].hash != whole.v[i].hash)
      e = "chunked and whole feeding gave different events";
  return e;
}
