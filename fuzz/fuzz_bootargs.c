// libFuzzer target for the hypervisor's boot-argument parser
// (runtime/riscv/bootargs.c, compiled for the host): `make fuzz-bootargs`.
// The input is the boot-argument line; the properties are those of
// bootargs_props.h, and the sanitizers watch every read and write.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/riscv/bootargs.c"
#include "bootargs_props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *line = malloc(size + 1);
  if (!line)
    return 0;
  memcpy(line, data, size);
  line[size] = 0;  // QEMU's -append can hold any byte but NUL
  const char *e = bootargs_props_check(line);
  if (e) {
    fprintf(stderr, "property %s\n", e);
    abort();
  }
  free(line);
  return 0;
}
