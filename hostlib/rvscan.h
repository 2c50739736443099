// Finding instructions in a RISC-V image: walk a function's code from its
// first instruction, by each instruction's real length (2 or 4 bytes), as
// the CPU would -- so a 32-bit pattern is never matched across two
// compressed instructions.
#pragma once

#include <stdint.h>

#include "elfsym.h"

// Call match(pc, bits, len, arg) for each instruction of function `func`
// until it returns non-zero; then set *at to that pc and return 0.
// Returns -1 if the function is missing, unreadable, or nothing matched.
int rv_scan(const struct elfsym *e, const char *func,
            int (*match)(uint64_t pc, uint32_t bits, int len, void *arg),
            void *arg, uint64_t *at);

// The first 32-bit instruction of `func` with (bits & mask) == want.
int rv_find_insn(const struct elfsym *e, const char *func, uint32_t want,
                 uint32_t mask, uint64_t *at);
#define RV_ECALL 0x00000073u
