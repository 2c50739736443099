// The RISC-V decoder for 16-bit (C extension) instructions, RV64 forms.
// See rvdecode.h.
//
// Compressed immediates are scattered over the instruction in a different
// order for each format; imm() gathers them from a table of (instruction
// bit, value bit) runs, which keeps each format's layout readable next to
// the spec's figure. Registers written r' are x8..x15, in 3 bits.

#include "rvdecode_priv.h"

#define X(r) rv_xreg_name(r)
#define F(r) rv_freg_name(r)

// One run of bits: instruction bits [hi..lo] hold value bits [to+hi-lo..to].
struct run {
  int hi, lo, to;
};

static uint32_t gather(uint16_t c, const struct run *r, int n) {
  uint32_t v = 0;
  for (int k = 0; k < n; k++) {
    uint32_t w = (c >> r[k].lo) & ((1u << (r[k].hi - r[k].lo + 1)) - 1);
    v |= w << r[k].to;
  }
  return v;
}
#define GATHER(c, ...)                                                         \
  gather(c, (const struct run[]){__VA_ARGS__},                                 \
         sizeof((const struct run[]){__VA_ARGS__}) / sizeof(struct run))

// Sign-extend v from bit b.
static int64_t sext(uint32_t v, int b) {
  return (v & (1u << b)) ? (int64_t)v - (int64_t)(2u << b) : (int64_t)v;
}

// The 6-bit signed immediate of CI forms: bit 12 and bits 6:2.
static int64_t ci_imm(uint16_t c) {
  return sext(GATHER(c, {12, 12, 5}, {6, 2, 0}), 5);
}

// Quadrant 0: stack-pointer add and the r'-based loads and stores.
static void q0(struct rv_insn *d, uint16_t c) {
  int f3 = c >> 13, rd = 8 + ((c >> 2) & 7), rs1 = 8 + ((c >> 7) & 7);
  // uimm for word (w) and doubleword (d) accesses
  uint32_t w = GATHER(c, {12, 10, 3}, {6, 6, 2}, {5, 5, 6});
  uint32_t dw = GATHER(c, {12, 10, 3}, {6, 5, 6});
  switch (f3) {
  case 0: {
    uint32_t u = GATHER(c, {12, 11, 4}, {10, 7, 6}, {6, 6, 2}, {5, 5, 3});
    if (u)  // zero is reserved (and 0x0000 is the defined illegal one)
      rv_emit_(d, "c.addi4spn %s,sp,%u", X(rd), u);
    return;
  }
  case 1: rv_mem_(d, 1, 8, 0, rd, rs1, dw, 1); break;  // c.fld
  case 2: rv_mem_(d, 1, 4, 1, rd, rs1, w, 0); break;   // c.lw
  case 3: rv_mem_(d, 1, 8, 1, rd, rs1, dw, 0); break;  // c.ld
  case 5: rv_mem_(d, 0, 8, 0, rd, rs1, dw, 1); break;  // c.fsd
  case 6: rv_mem_(d, 0, 4, 0, rd, rs1, w, 0); break;   // c.sw
  case 7: rv_mem_(d, 0, 8, 0, rd, rs1, dw, 0); break;  // c.sd
  default: return;                                     // 4: reserved
  }
  static const char *const op[8] = {NULL, "fld", "lw", "ld",
                                    NULL, "fsd", "sw", "sd"};
  rv_emit_(d, "c.%s %s,%lld(%s)", op[f3], d->fp ? F(rd) : X(rd),
           (long long)d->imm, X(rs1));
}

// Quadrant 1, funct3 4: the r' arithmetic.
static void q1_arith(struct rv_insn *d, uint16_t c) {
  int rd = 8 + ((c >> 7) & 7), rs2 = 8 + ((c >> 2) & 7);
  int f2 = (c >> 10) & 3;
  unsigned sh = GATHER(c, {12, 12, 5}, {6, 2, 0});
  if (f2 <= 1 && sh == 0)  // a hint on RV64 (RV128's 64-bit shift)
    rv_emit_(d, "c.sr%ci64 %s", f2 ? 'a' : 'l', X(rd));
  else if (f2 == 0)
    rv_emit_(d, "c.srli %s,0x%x", X(rd), sh);
  else if (f2 == 1)
    rv_emit_(d, "c.srai %s,0x%x", X(rd), sh);
  else if (f2 == 2)
    rv_emit_(d, "c.andi %s,%lld", X(rd), (long long)ci_imm(c));
  else {
    static const char *const op[8] = {"sub",  "xor",  "or", "and",
                                      "subw", "addw", NULL, NULL};
    const char *o = op[((c >> 10) & 4) | ((c >> 5) & 3)];
    if (o)
      rv_emit_(d, "c.%s %s,%s", o, X(rd), X(rs2));
  }
}

// Quadrant 1: immediates, jumps, branches.
static void q1(struct rv_insn *d, uint16_t c, uint64_t pc) {
  int f3 = c >> 13, rd = (c >> 7) & 31, rs1p = 8 + ((c >> 7) & 7);
  long long imm = ci_imm(c);
  unsigned long long t;
  switch (f3) {
  case 0:
    if (rd == 0 && imm == 0)
      rv_emit_(d, "c.nop");
    else
      rv_emit_(d, "c.addi %s,%lld", X(rd), imm);
    return;
  case 1:
    if (rd)  // rd 0 is reserved
      rv_emit_(d, "c.addiw %s,%lld", X(rd), imm);
    return;
  case 2: rv_emit_(d, "c.li %s,%lld", X(rd), imm); return;
  case 3:
    if (rd == 2) {
      int64_t v = sext(
          GATHER(c, {12, 12, 9}, {6, 6, 4}, {5, 5, 6}, {4, 3, 7}, {2, 2, 5}),
          9);
      if (v)
        rv_emit_(d, "c.addi16sp sp,%lld", (long long)v);
    } else if (imm)  // imm is the upper immediate's bits 17:12
      rv_emit_(d, "c.lui %s,0x%x", X(rd), (unsigned)imm & 0xfffff);
    return;
  case 4: q1_arith(d, c); return;
  case 5:
    t = pc + (uint64_t)sext(GATHER(c, {12, 12, 11}, {11, 11, 4}, {10, 9, 8},
                                   {8, 8, 10}, {7, 7, 6}, {6, 6, 7}, {5, 3, 1},
                                   {2, 2, 5}),
                            11);
    rv_emit_(d, "c.j 0x%llx", t);
    return;
  default:  // 6, 7: c.beqz, c.bnez
    t = pc + (uint64_t)sext(GATHER(c, {12, 12, 8}, {11, 10, 3}, {6, 5, 6},
                                   {4, 3, 1}, {2, 2, 5}),
                            8);
    rv_emit_(d, "c.b%sz %s,0x%llx", f3 == 6 ? "eq" : "ne", X(rs1p), t);
    return;
  }
}

// Quadrant 2: sp-relative loads and stores, register moves and jumps.
static void q2(struct rv_insn *d, uint16_t c) {
  int f3 = c >> 13, rd = (c >> 7) & 31, rs2 = (c >> 2) & 31;
  uint32_t ldsp = GATHER(c, {12, 12, 5}, {6, 5, 3}, {4, 2, 6});
  uint32_t lwsp = GATHER(c, {12, 12, 5}, {6, 4, 2}, {3, 2, 6});
  uint32_t sdsp = GATHER(c, {12, 10, 3}, {9, 7, 6});
  uint32_t swsp = GATHER(c, {12, 9, 2}, {8, 7, 6});
  const char *name;
  switch (f3) {
  case 0: {
    unsigned sh = GATHER(c, {12, 12, 5}, {6, 2, 0});
    sh ? rv_emit_(d, "c.slli %s,0x%x", X(rd), sh)
       : rv_emit_(d, "c.slli64 %s", X(rd));
    return;
  }
  case 1:
    rv_mem_(d, 1, 8, 0, rd, 2, ldsp, 1);
    name = "fldsp";
    break;
  case 2:
    rv_mem_(d, 1, 4, 1, rd, 2, lwsp, 0);
    name = "lwsp";
    break;
  case 3:
    rv_mem_(d, 1, 8, 1, rd, 2, ldsp, 0);
    name = "ldsp";
    break;
  case 5:
    rv_mem_(d, 0, 8, 0, rs2, 2, sdsp, 1);
    name = "fsdsp";
    break;
  case 6:
    rv_mem_(d, 0, 4, 0, rs2, 2, swsp, 0);
    name = "swsp";
    break;
  case 7:
    rv_mem_(d, 0, 8, 0, rs2, 2, sdsp, 0);
    name = "sdsp";
    break;
  default:  // 4: c.jr, c.mv, c.ebreak, c.jalr, c.add
    if (!(c & 0x1000)) {
      if (rs2)
        rv_emit_(d, "c.mv %s,%s", X(rd), X(rs2));
      else if (rd)  // c.jr with rs1 0 is reserved
        rv_emit_(d, "c.jr %s", X(rd));
    } else if (rs2)
      rv_emit_(d, "c.add %s,%s", X(rd), X(rs2));
    else if (rd)
      rv_emit_(d, "c.jalr %s", X(rd));
    else
      rv_emit_(d, "c.ebreak");
    return;
  }
  if ((f3 == 2 || f3 == 3) && rd == 0)  // c.lwsp/c.ldsp to x0: reserved
    return;  // (rv_decode clears the half-filled description)
  rv_emit_(d, "c.%s %s,%lld(sp)", name, d->fp ? F(d->reg) : X(d->reg),
           (long long)d->imm);
}

void rv_decode16_(struct rv_insn *d, uint16_t c, uint64_t pc) {
  switch (c & 3) {
  case 0: q0(d, c); break;
  case 1: q1(d, c, pc); break;
  case 2: q2(d, c); break;
  }
}
