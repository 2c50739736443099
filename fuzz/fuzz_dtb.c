// libFuzzer target for the hypervisor's device-tree reader
// (runtime/riscv/dtb.c), compiled for the host as tests/test_dtb.c does
// (`make fuzz`). The reader trusts one thing only: that totalsize bytes
// (the header's own size field) are there to read -- OpenSBI hands over a
// whole tree. So the harness clamps totalsize to the input, gives it the
// magic number (the fuzzer's time goes to the structure, not to finding
// four bytes), and places the copy at an odd address, as no firmware
// would: the reader must not care (UBSan watches alignment).
// Property: no read outside the blob, no undefined behaviour, and every
// string it returns ends inside the blob.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *boot_dtb;  // defs.h declares it; the reader itself takes a pointer
#include "../runtime/riscv/dtb.c"

static void wr32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

// A string the reader returned must end (NUL) inside [b, b + n).
static void inside(const unsigned char *b, size_t n, const char *s) {
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s;
  if (p < b || p >= b + n || !memchr(p, 0, (size_t)(b + n - p)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 40 || size > (1u << 20))
    return 0;
  unsigned char *m = malloc(size + 1);  // exact size: ASan sees overruns
  if (!m)
    return 0;
  unsigned char *b = m + 1;  // misaligned on purpose
  memcpy(b, data, size);
  wr32(b, FDT_MAGIC);
  uint32_t total =
      (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
  if (total > size)
    wr32(b + 4, (uint32_t)size);

  dtb_check(b);
  const char *isa = dtb_cpu_isa(b);
  inside(b, size, isa);
  if (isa) {
    isa_has_ext(isa, "h");
    isa_has_ext(isa, "sstc");
  }
  inside(b, size, dtb_bootargs(b));
  int len = -1;
  const char *v = dtb_prop(b, "/", "compatible", &len);
  if (v && (len < 0 || (const unsigned char *)v + len > b + size))
    abort();
  free(m);
  return 0;
}
