// The layout of a C struct, read from an ELF's DWARF debug info: where each
// member is, by name, so that a host tool can read a structure out of
// target memory without compiling the target's header.
//
// Why not include the header? The monitor reads the hypervisor's `struct
// vcpu`, which lives in a student's file (step2-vmcs/vcpu.h): a host
// program never compiles student code (the trust boundary), and the
// student may add or move members anyway. The ELF says where they are.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct dwstruct;

// Find `struct name` (a complete definition) in path's DWARF. NULL on
// error, with a message in err (no file, no debug info, no such struct).
struct dwstruct *dwstruct_open(const char *path, const char *name, char *err,
                               size_t errlen);
void dwstruct_close(struct dwstruct *s);
// The struct's size in bytes.
uint64_t dwstruct_size(const struct dwstruct *s);
// A member by path: "pc", "vs.vsatp", "exit.cause" (nested structs by
// '.'). Its byte offset from the struct's start and its size (an array's
// whole size). Returns 0, or -1 if there is no such member.
int dwstruct_member(const struct dwstruct *s, const char *path, uint64_t *off,
                    uint64_t *size);
