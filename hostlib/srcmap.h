// Mapping a code address back to source, through the DWARF debug info:
// which function it belongs to -- the innermost one, even when the
// compiler inlined it into another -- and which file and line.
//
// Symbols (elfsym.h) only know the outermost function; with link-time
// optimisation most of the hypervisor's exit path is inlined into one
// symbol, so tools that attribute instructions (make bench) need this.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct srcmap;

// Open an ELF file with debug info. NULL on error, with a message in err.
struct srcmap *srcmap_open(const char *path, char *err, size_t errlen);
void srcmap_close(struct srcmap *m);

// The innermost function (inlined or not) containing addr, its source file
// and line. Returns 0, or -1 if addr has no debug info. Any output pointer
// may be NULL.
int srcmap_lookup(struct srcmap *m, uint64_t addr, const char **func,
                  const char **file, int *line);
