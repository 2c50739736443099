// Stage 4: decoding loads and stores (ldst.h).

#include "ldst.h"

int ldst_decode(u64 insn, int len, struct ldst *op) {
  op->len = len;
  if (len == 2) {
    u64 f3 = insn >> 13 & 7, q = insn & 3;
    if (q == 0 && (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7)) {
      // c.lw c.ld c.sw c.sd: rd' / rs2' are x8..x15
      op->store = f3 >= 6;
      op->reg = (int)(insn >> 2 & 7) + 8;
    } else if (q == 2 && (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7)) {
      // c.lwsp c.ldsp (rd, not x0) and c.swsp c.sdsp (rs2): sp-relative
      op->store = f3 >= 6;
      op->reg = (int)(op->store ? insn >> 2 & 31 : insn >> 7 & 31);
      if (!op->store && op->reg == 0)
        return -1;
    } else {
      return -1;
    }
    op->bytes = (f3 & 1) ? 8 : 4;
    op->sign = op->bytes == 4 && !op->store;
    return 0;
  }
  u64 opc = insn & 0x7f, f3 = insn >> 12 & 7;
  if (opc == 0x03 && f3 != 7) {  // lb lh lw ld lbu lhu lwu
    op->store = 0;
    op->reg = (int)(insn >> 7 & 31);
    op->bytes = 1 << (f3 & 3);
    op->sign = f3 < 3;
    return 0;
  }
  if (opc == 0x23 && f3 < 4) {  // sb sh sw sd
    op->store = 1;
    op->reg = (int)(insn >> 20 & 31);
    op->bytes = 1 << f3;
    op->sign = 0;
    return 0;
  }
  return -1;
}
