// Internals shared by the decoder's files; not for other users.
#pragma once

#include <stddef.h>

#include "rvdecode.h"

// Set d->text from a format and mark the instruction known.
void rv_emit_(struct rv_insn *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// Describe a load (load = 1) or store for MMIO emulation.
void rv_mem_(struct rv_insn *d, int load, int width, int sign, int reg, int rs1,
             int64_t imm, int fp);
// The floating-point opcodes (rvdecode_fp.c); leave d unknown otherwise.
void rv_decode_fp_(struct rv_insn *d, uint32_t i);
// The 16-bit instructions (rvdecode_c.c).
void rv_decode16_(struct rv_insn *d, uint16_t c, uint64_t pc);
