// Driving gdb-multiarch in batch mode against a stage under QEMU, for the
// tests of the teaching build and of the handouts' gdb transcripts.
#pragma once

// Boot stage n halted with a gdbstub, run gdb-multiarch in batch mode with
// .gdbinit's settings (the stage's symbols, hvlab's target description,
// attached) followed by the commands in `script` (one per line), then kill
// QEMU. Returns gdb's output (stdout and stderr) in a malloc'd string, or
// NULL with a CHECK failure if something could not be started.
char *gdb_batch(int n, const char *append, const char *script);

// 1 if gdb-multiarch is on the PATH (make test installs it).
int have_gdb(void);

// The text of line `line` of file `path` (relative to the source tree),
// without its newline, in buf; "" if there is no such line.
const char *source_line(const char *path, int line, char *buf, size_t n);
