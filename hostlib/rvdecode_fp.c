// The RISC-V decoder for F and D: loads, stores, fused multiply-adds and
// OP-FP. See rvdecode.h.
//
// The fmt field (bits 26:25) says single (0) or double (1); half and quad
// precision are not in RV64GC and decode as unknown. A rounding mode other
// than "dyn" (7) is shown after the operands, as objdump does; 5 and 6 are
// reserved, so an instruction using them is unknown.

#include "rvdecode_priv.h"

#define X(r) rv_xreg_name(r)
#define F(r) rv_freg_name(r)

// ",rtz" and the like, or "" for dyn; NULL for a reserved mode.
static const char *rm(int f3) {
  static const char *const n[8] = {",rne", ",rtz", ",rdn", ",rup",
                                   ",rmm", NULL,   NULL,   ""};
  return n[f3];
}

static void loadstore(struct rv_insn *d, uint32_t i, int load) {
  int f3 = (i >> 12) & 7, rs1 = (i >> 15) & 31;
  if (f3 != 2 && f3 != 3)
    return;  // 2: flw/fsw, 3: fld/fsd; the rest are vector or H/Q
  int width = f3 == 2 ? 4 : 8;
  int reg = load ? (i >> 7) & 31 : (i >> 20) & 31;
  int64_t imm = load ? (int32_t)i >> 20
                     : (int64_t)((int32_t)i >> 25) * 32 + ((i >> 7) & 31);
  rv_mem_(d, load, width, 0, reg, rs1, imm, 1);
  rv_emit_(d, "f%s%c %s,%lld(%s)", load ? "l" : "s", f3 == 2 ? 'w' : 'd',
           F(reg), (long long)imm, X(rs1));
}

static void fused(struct rv_insn *d, uint32_t i) {
  static const char *const op[4] = {"fmadd", "fmsub", "fnmsub", "fnmadd"};
  int fmt = (i >> 25) & 3, r = rm((i >> 12) & 7) != NULL;
  if (fmt > 1 || !r)
    return;
  rv_emit_(d, "%s.%c %s,%s,%s,%s%s", op[((i & 0x7f) - 0x43) >> 2],
           fmt ? 'd' : 's', F((i >> 7) & 31), F((i >> 15) & 31),
           F((i >> 20) & 31), F(i >> 27), rm((i >> 12) & 7));
}

static void opfp(struct rv_insn *d, uint32_t i) {
  int f5 = i >> 27, fmt = (i >> 25) & 3, f3 = (i >> 12) & 7;
  int rd = (i >> 7) & 31, rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  char p = fmt ? 'd' : 's';  // this instruction's precision
  const char *m = rm(f3);
  static const char *const ints[4] = {"w", "wu", "l", "lu"};
  if (fmt > 1)
    return;
  switch (f5) {
  case 0x00:
  case 0x01:
  case 0x02:
  case 0x03: {
    static const char *const op[4] = {"fadd", "fsub", "fmul", "fdiv"};
    if (m)
      rv_emit_(d, "%s.%c %s,%s,%s%s", op[f5], p, F(rd), F(rs1), F(rs2), m);
    return;
  }
  case 0x0b:
    if (m && rs2 == 0)
      rv_emit_(d, "fsqrt.%c %s,%s%s", p, F(rd), F(rs1), m);
    return;
  case 0x04:
    if (f3 > 2)
      return;
    if (rs1 == rs2)  // objdump's aliases for the sign-injection idioms
      rv_emit_(d, "%s.%c %s,%s",
               f3 == 0   ? "fmv"
               : f3 == 1 ? "fneg"
                         : "fabs",
               p, F(rd), F(rs1));
    else
      rv_emit_(d, "fsgnj%s.%c %s,%s,%s",
               f3 == 0   ? ""
               : f3 == 1 ? "n"
                         : "x",
               p, F(rd), F(rs1), F(rs2));
    return;
  case 0x05:
    if (f3 <= 1)
      rv_emit_(d, "%s.%c %s,%s,%s", f3 ? "fmax" : "fmin", p, F(rd), F(rs1),
               F(rs2));
    return;
  case 0x08:  // fcvt.s.d (rounds) and fcvt.d.s (exact: no rounding mode)
    if (fmt == 0 && rs2 == 1 && m)
      rv_emit_(d, "fcvt.s.d %s,%s%s", F(rd), F(rs1), m);
    else if (fmt == 1 && rs2 == 0)
      rv_emit_(d, "fcvt.d.s %s,%s", F(rd), F(rs1));
    return;
  case 0x14:
    if (f3 <= 2)
      rv_emit_(d, "%s.%c %s,%s,%s",
               f3 == 0   ? "fle"
               : f3 == 1 ? "flt"
                         : "feq",
               p, X(rd), F(rs1), F(rs2));
    return;
  case 0x18:  // float to integer
    if (rs2 <= 3 && m)
      rv_emit_(d, "fcvt.%s.%c %s,%s%s", ints[rs2], p, X(rd), F(rs1), m);
    return;
  case 0x1a:  // integer to float; to double from 32 bits is exact
    if (rs2 > 3 || !m)
      return;
    if (fmt == 1 && rs2 <= 1)
      m = "";
    rv_emit_(d, "fcvt.%c.%s %s,%s%s", p, ints[rs2], F(rd), X(rs1), m);
    return;
  case 0x1c:
    if (rs2 != 0)
      return;
    if (f3 == 0)
      rv_emit_(d, "fmv.x.%c %s,%s", fmt ? 'd' : 'w', X(rd), F(rs1));
    else if (f3 == 1)
      rv_emit_(d, "fclass.%c %s,%s", p, X(rd), F(rs1));
    return;
  case 0x1e:
    if (rs2 == 0 && f3 == 0)
      rv_emit_(d, "fmv.%c.x %s,%s", fmt ? 'd' : 'w', F(rd), X(rs1));
    return;
  }
}

void rv_decode_fp_(struct rv_insn *d, uint32_t i) {
  switch (i & 0x7f) {
  case 0x07: loadstore(d, i, 1); break;
  case 0x27: loadstore(d, i, 0); break;
  case 0x43:
  case 0x47:
  case 0x4b:
  case 0x4f: fused(d, i); break;
  case 0x53: opfp(d, i); break;
  }
}
