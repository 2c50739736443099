// Driving gdb-multiarch in batch mode against a stage under QEMU: for the
// tests of the teaching build and for the handouts' gdb transcripts
// (tools/labcheck.c), which must show what gdb really prints.
#pragma once

#include <stddef.h>

struct gdb_run {
  const char *elf;     // the stage's image (required)
  const char *tdesc;   // the target description (build/gdb/target.xml)
  const char *append;  // boot arguments, or NULL
  int no_h;            // 1: a CPU without the H extension
  int smp;             // harts (QEMU -smp); 0: one
  const char *initrd;  // a file for QEMU's -initrd (a guest package), or NULL
  double timeout;      // seconds for the whole session; <= 0: 120
};

// Boot the image halted with a gdbstub, run gdb-multiarch in batch mode
// with the settings of mk/gdbinit.in (the image's symbols, the target
// description, attached) followed by the commands in `script` (one per
// line), then kill QEMU. Returns gdb's output (stdout and stderr, in
// order) in a malloc'd string, or NULL with a reason in err.
char *gdb_run(const struct gdb_run *cfg, const char *script, char *err,
              size_t errlen);

// 1 if gdb-multiarch is on the PATH.
int gdb_available(void);
