// libFuzzer target for hostlib's ELF reader (`make fuzz`): elfsym_open on
// arbitrary bytes, then every lookup it offers. The input becomes a file
// in memory (memfd), since elfsym reads through a descriptor as it does
// for hv.elf. Property: no crash, no read out of bounds, no leak, no
// allocation sized by a header rather than by the file; and what it
// accepts answers lookups consistently.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  if (size && write(fd, data, size) != (ssize_t)size)
    abort();
  char path[64], err[256];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  struct elfsym *e = elfsym_open(path, err, sizeof err);
  if (!e) {
    if (!err[0])  // a refusal always says why
      abort();
  } else {
    uint64_t a = 0, sz = 0, off = 0;
    const char *f = elfsym_func_at(e, 0x80200000, &off);
    if (f) {
      // The function found for an address is a symbol at or below it.
      if (elfsym_lookup(e, f, &a, &sz) != 0)
        abort();
    }
    elfsym_lookup(e, "exit_trace", &a, &sz);
    unsigned char buf[64];
    elfsym_read(e, 0x80200000, buf, sizeof buf);
    elfsym_read(e, a, buf, sizeof buf);
    elfsym_close(e);
  }
  close(fd);
  return 0;
}
