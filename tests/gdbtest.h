// The tests' side of hostlib/gdbrun.h: a stage's image by number.
#pragma once

#include "gdbrun.h"

// gdb_run on build/stepN/hv.elf; a failure to start is a CHECK failure.
char *gdb_batch(int n, const char *append, const char *script);
// The text of line `line` of file `path`, without its newline, in buf.
const char *source_line(const char *path, int line, char *buf, size_t n);
