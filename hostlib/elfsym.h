// ELF symbols (via libelf): where is a symbol, which function holds an
// address, and what bytes the file puts at an address.
//
// The monitor and the grader use these to set breakpoints by name, to say
// in which function a VM exit happened, and to check memory against the
// image that was loaded.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct elfsym;  // an open ELF file and its symbols

// Open path. On failure returns NULL with a message in err (size errlen):
// a missing file, a file that is not ELF, one without a symbol table.
struct elfsym *elfsym_open(const char *path, char *err, size_t errlen);
void elfsym_close(struct elfsym *e);

// The address and size of the symbol called name (a global one if there
// are several). Returns 0, or -1 if there is none. size may be NULL.
int elfsym_lookup(const struct elfsym *e, const char *name, uint64_t *addr,
                  uint64_t *size);
// The name of the function containing addr, and addr's offset in it, or
// NULL. Assembly labels without a type or size count too (hs_trapvec):
// they extend to the next symbol.
const char *elfsym_func_at(const struct elfsym *e, uint64_t addr,
                           uint64_t *offset);
// Copy n bytes of the loaded image at virtual address addr, as the file
// holds them (PT_LOAD segments; bss reads as zero). Returns 0, or -1 if
// some byte lies outside every segment.
int elfsym_read(const struct elfsym *e, uint64_t addr, void *buf, size_t n);
