// Checking an exit-trace header: see exittrace.h.

#include "exittrace.h"

#include <stdio.h>
#include <string.h>

static uint32_t u32_at(const unsigned char *b, size_t off) {
  uint32_t v;
  memcpy(&v, b + off, 4);  // the target and the host are little-endian
  return v;
}

int trace_layout_parse(const void *hdr, size_t n, uint64_t symsize,
                       struct trace_layout *out, char *err, size_t errlen) {
  const unsigned char *b = hdr;
  if (n < TRACE_HEADER_BYTES) {
    snprintf(err, errlen, "exit trace header: %zu bytes, need %d", n,
             TRACE_HEADER_BYTES);
    return -1;
  }
  uint32_t magic = u32_at(b, 0);
  if (magic != TRACE_MAGIC) {
    snprintf(err, errlen, "no exit trace yet (magic %08x, want %08x)", magic,
             TRACE_MAGIC);
    return -1;
  }
  struct trace_layout l = {
      .version = u32_at(b, 4),
      .record_size = u32_at(b, 8),
      .capacity = u32_at(b, 12),
      .ncount = u32_at(b, 16),
      .counts_off = u32_at(b, 20),
      .ring_off = u32_at(b, 24),
      .total_off = 32,
  };
  // Sizes in 64 bits: a hostile header must not overflow the checks.
  uint64_t counts_end = (uint64_t)l.counts_off + 8ull * l.ncount;
  uint64_t ring_end =
      (uint64_t)l.ring_off + (uint64_t)l.record_size * l.capacity;
  const char *bad = NULL;
  if (l.version < 1)
    bad = "version 0";
  else if (l.record_size < 48 || l.record_size % 8)
    bad = "record size";
  else if (l.capacity == 0 || (l.capacity & (l.capacity - 1)) ||
           l.capacity > 1u << 20)
    bad = "capacity not a power of two";
  else if (l.ncount == 0 || l.ncount > 4096)
    bad = "counter count";
  else if (l.counts_off < TRACE_HEADER_BYTES || l.counts_off % 8)
    bad = "counters offset";
  else if (l.ring_off < counts_end || l.ring_off % 8)
    bad = "ring offset";
  else if (symsize && ring_end > symsize)
    bad = "ring extends past the symbol";
  if (bad) {
    snprintf(err, errlen, "exit trace header makes no sense (%s)", bad);
    return -1;
  }
  *out = l;
  return 0;
}
