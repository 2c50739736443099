// Call-frame information for assembly that a trap enters, so that gdb's
// backtraces go through it (included by .S files only).
#pragma once

// "The caller's pc is sepc": what a trap vector tells gdb about the code it
// interrupted. DWARF numbers CSR n as register 4096 + n, so sepc is 4417
// (ULEB128 0xc1 0x22), and this is DW_CFA_val_expression(ra,
// DW_OP_bregx(4417, 2)). The + 2: gdb takes a caller's pc for a return
// address and shows the source of the byte before it; sepc + 2 makes that
// the trapping instruction's own line, whether it is 2 or 4 bytes long.
#define RA_IS_SEPC_PLUS_2 .cfi_escape 0x16, 0x01, 0x04, 0x92, 0xc1, 0x22, 0x02
