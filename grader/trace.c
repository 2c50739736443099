// Reading stage 3's exit trace (step3-guest/trace.h) out of the running
// hypervisor's memory.
//
// The structure describes itself, so the grader keeps working when the
// layout grows: check magic and version, then take record_size, capacity,
// counts_off and ring_off from the header rather than from a compiled-in
// struct. Only the header's first fields -- eight 32-bit words, then the
// 64-bit total -- are fixed, because fields are only ever appended. We do
// not include trace.h: it is in the students' tree, and a grader should
// not compile against the code it grades.

#include <string.h>

#include "grade.h"

#define TRACE_MAGIC 0x54584856u  // "HVXT" in memory
#define HDR_WORDS 8
#define TOTAL_OFF 32
#define MIN_RECORD 48  // seq, cause, pc, arg[3]

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) {
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int trace_read(struct probe *pr, struct trace_view *t) {
  uint64_t base, size;
  memset(t, 0, sizeof *t);
  if (probe_sym(pr, "exit_trace", &base, &size) < 0)
    return -1;
  uint8_t h[TOTAL_OFF + 8];
  if (probe_mem(pr, base, h, sizeof h) < 0)
    return -1;
  uint32_t magic = le32(h);
  if (magic != TRACE_MAGIC)
    return probe_fail(pr, "exit_trace at %#lx: magic %08x, expected %08x "
                          "(\"HVXT\"): not initialized?",
                      (unsigned long)base, magic, TRACE_MAGIC);
  t->version = le32(h + 4);
  t->record_size = le32(h + 8);
  t->capacity = le32(h + 12);
  t->ncount = le32(h + 16);
  t->counts_off = le32(h + 20);
  t->ring_off = le32(h + 24);
  t->total = le64(h + TOTAL_OFF);

  // A header that would send us reading past the structure is a broken
  // stage, not something to follow.
  uint64_t ring_end = t->ring_off + (uint64_t)t->capacity * t->record_size;
  if (t->version < 1 || t->record_size < MIN_RECORD || t->capacity == 0 ||
      (t->capacity & (t->capacity - 1)) || t->ncount == 0 ||
      t->counts_off < TOTAL_OFF + 8 || t->ring_off < t->counts_off ||
      (size && (t->counts_off + 8ull * t->ncount > size || ring_end > size)))
    return probe_fail(pr, "exit_trace header does not add up: version %u, "
                          "record_size %u, capacity %u, ncount %u, "
                          "counts_off %u, ring_off %u, symbol size %lu",
                      t->version, t->record_size, t->capacity, t->ncount,
                      t->counts_off, t->ring_off, (unsigned long)size);

  uint32_t n = t->ncount < 64 ? t->ncount : 64;
  uint8_t buf[64 * 8];
  if (probe_mem(pr, base + t->counts_off, buf, 8u * n) < 0)
    return -1;
  for (uint32_t i = 0; i < n; i++)
    t->count[i] = le64(buf + 8 * i);

  if (t->total > 0) {
    uint64_t at = base + t->ring_off +
                  ((t->total - 1) & (t->capacity - 1)) * t->record_size;
    if (probe_mem(pr, at, buf, MIN_RECORD) < 0)
      return -1;
    t->newest.seq = le64(buf);
    t->newest.cause = le64(buf + 8);
    t->newest.pc = le64(buf + 16);
    for (int i = 0; i < 3; i++)
      t->newest.arg[i] = le64(buf + 24 + 8 * i);
  }
  return 0;
}

uint64_t trace_sum(const struct trace_view *t) {
  uint64_t s = 0;
  for (uint32_t i = 0; i < t->ncount && i < 64; i++)
    s += t->count[i];
  return s;
}
