// Finding instructions in a RISC-V image: see rvscan.h.

#include "rvscan.h"

#include "rvdecode.h"

int rv_scan(const struct elfsym *e, const char *func,
            int (*match)(uint64_t pc, uint32_t bits, int len, void *arg),
            void *arg, uint64_t *at) {
  uint64_t start, size;
  if (elfsym_lookup(e, func, &start, &size) < 0 || size == 0)
    return -1;
  for (uint64_t pc = start; pc < start + size;) {
    uint16_t lo;
    if (elfsym_read(e, pc, &lo, 2) < 0)
      return -1;
    int len = rv_insn_len(lo);
    uint32_t bits = lo;
    if (len == 4) {
      uint16_t hi;
      if (pc + 4 > start + size || elfsym_read(e, pc + 2, &hi, 2) < 0)
        return -1;
      bits |= (uint32_t)hi << 16;
    } else if (len != 2) {
      len = 2;  // longer encodings do not occur in our code: step over
    }
    if (match(pc, bits, len, arg)) {
      *at = pc;
      return 0;
    }
    pc += (uint64_t)len;
  }
  return -1;
}

struct want {
  uint32_t bits, mask;
};

static int masked(uint64_t pc, uint32_t bits, int len, void *arg) {
  (void)pc;
  const struct want *w = arg;
  return len == 4 && (bits & w->mask) == w->bits;
}

int rv_find_insn(const struct elfsym *e, const char *func, uint32_t want,
                 uint32_t mask, uint64_t *at) {
  struct want w = {want, mask};
  return rv_scan(e, func, masked, &w, at);
}
