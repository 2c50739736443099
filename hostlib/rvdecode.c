// The RISC-V decoder for 32-bit instructions, and the entry point that
// sends 16-bit ones to rvdecode_c.c. See rvdecode.h.
//
// Field positions and opcodes are from the unprivileged spec's opcode map
// (chapter 34/"RV32/64G Instruction Set Listings") and the privileged
// spec's hypervisor chapter for hlv/hsv/hfence.

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rvdecode.h"
#include "rvdecode_priv.h"

#define X(r) rv_xreg_name(r)
#define F(r) rv_freg_name(r)

void rv_emit_(struct rv_insn *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->text, sizeof d->text, fmt, ap);
  va_end(ap);
  d->known = 1;
}

void rv_mem_(struct rv_insn *d, int load, int width, int sign, int reg, int rs1,
             int64_t imm, int fp) {
  d->is_load = load;
  d->is_store = !load;
  d->width = width;
  d->is_signed = sign;
  d->reg = reg;
  d->rs1 = rs1;
  d->imm = imm;
  d->fp = fp;
}

int rv_insn_len(uint32_t lo16) {
  if ((lo16 & 3) != 3)
    return 2;
  if ((lo16 & 0x1c) != 0x1c)
    return 4;
  if ((lo16 & 0x3f) == 0x1f)
    return 6;
  if ((lo16 & 0x7f) == 0x3f)
    return 8;
  return 4;  // the >= 80-bit space: no length we could act on; say 4
}

// Immediates, sign-extended.
static int64_t imm_i(uint32_t i) { return (int32_t)i >> 20; }
static int64_t imm_s(uint32_t i) {
  return (int64_t)((int32_t)i >> 25) * 32 + ((i >> 7) & 31);
}
static int64_t imm_b(uint32_t i) {
  int64_t v =
      ((i >> 8) & 0xf) << 1 | ((i >> 25) & 0x3f) << 5 | ((i >> 7) & 1) << 11;
  return (i >> 31) ? v - 4096 : v;
}
static int64_t imm_j(uint32_t i) {
  int64_t v = ((i >> 21) & 0x3ff) << 1 | ((i >> 20) & 1) << 11 |
              ((i >> 12) & 0xff) << 12;
  return (i >> 31) ? v - (1 << 20) : v;
}

// The fence pred/succ sets as letters: 8=i 4=o 2=r 1=w; "0" if empty
// (such fences are hints, e.g. pause).
static const char *iorw(int s, char *b) {
  char *p = b;
  for (int k = 3; k >= 0; k--)
    if (s & (1 << k))
      *p++ = "wroi"[k];
  if (p == b)
    *p++ = '0';
  *p = 0;
  return b;
}

static void jal(struct rv_insn *d, uint32_t i, uint64_t pc) {
  int rd = (i >> 7) & 31;
  unsigned long long t = pc + (uint64_t)imm_j(i);
  if (rd == 0)
    rv_emit_(d, "j 0x%llx", t);
  else if (rd == 1)
    rv_emit_(d, "jal 0x%llx", t);
  else
    rv_emit_(d, "jal %s,0x%llx", X(rd), t);
}

static void jalr(struct rv_insn *d, uint32_t i) {
  int rd = (i >> 7) & 31, rs1 = (i >> 15) & 31;
  long long imm = imm_i(i);
  if ((i >> 12) & 7)
    return;
  if (rd == 0 && rs1 == 1 && imm == 0)
    rv_emit_(d, "ret");
  else if (rd == 0 && imm == 0)
    rv_emit_(d, "jr %s", X(rs1));
  else if (rd == 0)
    rv_emit_(d, "jr %lld(%s)", imm, X(rs1));
  else if (rd == 1 && imm == 0)
    rv_emit_(d, "jalr %s", X(rs1));
  else
    rv_emit_(d, "jalr %s,%lld(%s)", X(rd), imm, X(rs1));
}

static void branch(struct rv_insn *d, uint32_t i, uint64_t pc) {
  static const char *const op[8] = {"beq", "bne", NULL,   NULL,
                                    "blt", "bge", "bltu", "bgeu"};
  int f3 = (i >> 12) & 7, rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  unsigned long long t = pc + (uint64_t)imm_b(i);
  if (!op[f3])
    return;
  // objdump's aliases: a comparison with zero names only the other side.
  if (rs2 == 0 && f3 <= 5)
    rv_emit_(d, "%sz %s,0x%llx",
             f3 == 0   ? "beq"
             : f3 == 1 ? "bne"
             : f3 == 4 ? "blt"
                       : "bge",
             X(rs1), t);
  else if (rs1 == 0 && (f3 == 4 || f3 == 5))
    rv_emit_(d, "%s %s,0x%llx", f3 == 4 ? "bgtz" : "blez", X(rs2), t);
  else
    rv_emit_(d, "%s %s,%s,0x%llx", op[f3], X(rs1), X(rs2), t);
}

static void load(struct rv_insn *d, uint32_t i) {
  static const char *const op[8] = {"lb",  "lh",  "lw",  "ld",
                                    "lbu", "lhu", "lwu", NULL};
  int f3 = (i >> 12) & 7, rd = (i >> 7) & 31, rs1 = (i >> 15) & 31;
  if (!op[f3])
    return;
  rv_mem_(d, 1, 1 << (f3 & 3), f3 < 4, rd, rs1, imm_i(i), 0);
  rv_emit_(d, "%s %s,%lld(%s)", op[f3], X(rd), (long long)d->imm, X(rs1));
}

static void store(struct rv_insn *d, uint32_t i) {
  static const char *const op[4] = {"sb", "sh", "sw", "sd"};
  int f3 = (i >> 12) & 7, rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  if (f3 > 3)
    return;
  rv_mem_(d, 0, 1 << f3, 0, rs2, rs1, imm_s(i), 0);
  rv_emit_(d, "%s %s,%lld(%s)", op[f3], X(rs2), (long long)d->imm, X(rs1));
}

// OP-IMM and OP-IMM-32 (w: the 32-bit "w" forms).
static void opimm(struct rv_insn *d, uint32_t i, int w) {
  int f3 = (i >> 12) & 7, rd = (i >> 7) & 31, rs1 = (i >> 15) & 31;
  long long imm = imm_i(i);
  const char *sfx = w ? "w" : "";
  if (f3 == 1 || f3 == 5) {  // shifts: the top bits choose logical/arith
    unsigned top = w ? i >> 25 : i >> 26, sh = (i >> 20) & (w ? 31 : 63);
    unsigned arith = w ? 0x20 : 0x10;
    if (top != 0 && !(f3 == 5 && top == arith))
      return;
    rv_emit_(d, "%s%s %s,%s,0x%x",
             f3 == 1 ? "slli"
             : top   ? "srai"
                     : "srli",
             sfx, X(rd), X(rs1), sh);
    return;
  }
  if (w && f3 != 0)
    return;
  if (w)
    imm == 0 ? rv_emit_(d, "sext.w %s,%s", X(rd), X(rs1))
             : rv_emit_(d, "addiw %s,%s,%lld", X(rd), X(rs1), imm);
  else if (f3 == 0 && rd == 0 && rs1 == 0 && imm == 0)
    rv_emit_(d, "nop");
  else if (f3 == 0 && rs1 == 0)
    rv_emit_(d, "li %s,%lld", X(rd), imm);
  else if (f3 == 0 && imm == 0)
    rv_emit_(d, "mv %s,%s", X(rd), X(rs1));
  else if (f3 == 3 && imm == 1)
    rv_emit_(d, "seqz %s,%s", X(rd), X(rs1));
  else if (f3 == 4 && imm == -1)
    rv_emit_(d, "not %s,%s", X(rd), X(rs1));
  else {
    static const char *const op[8] = {"addi", NULL, "slti", "sltiu",
                                      "xori", NULL, "ori",  "andi"};
    rv_emit_(d, "%s %s,%s,%lld", op[f3], X(rd), X(rs1), imm);
  }
}

// OP and OP-32: register-register, including M.
static void op(struct rv_insn *d, uint32_t i, int w) {
  static const char *const base[8] = {"add", "sll", "slt", "sltu",
                                      "xor", "srl", "or",  "and"};
  static const char *const mul[8] = {"mul", "mulh", "mulhsu", "mulhu",
                                     "div", "divu", "rem",    "remu"};
  int f3 = (i >> 12) & 7, f7 = i >> 25;
  int rd = (i >> 7) & 31, rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  const char *name = NULL;
  if (f7 == 0)
    name = base[f3];
  else if (f7 == 0x20 && f3 == 0)
    name = "sub";
  else if (f7 == 0x20 && f3 == 5)
    name = "sra";
  else if (f7 == 1)
    name = mul[f3];
  if (!name)
    return;
  if (w) {  // only add, sub, sll, srl, sra, mul, div[u], rem[u] have w forms
    if (f7 != 1 && f3 != 0 && f3 != 1 && f3 != 5)
      return;
    if (f7 == 1 && f3 >= 1 && f3 <= 3)
      return;
  }
  const char *sfx = w ? "w" : "";
  if (f7 == 0x20 && f3 == 0 && rs1 == 0)
    rv_emit_(d, "neg%s %s,%s", sfx, X(rd), X(rs2));
  else if (!w && f7 == 0 && f3 == 3 && rs1 == 0)
    rv_emit_(d, "snez %s,%s", X(rd), X(rs2));
  else if (!w && f7 == 0 && f3 == 2 && rs2 == 0)
    rv_emit_(d, "sltz %s,%s", X(rd), X(rs1));
  else if (!w && f7 == 0 && f3 == 2 && rs1 == 0)
    rv_emit_(d, "sgtz %s,%s", X(rd), X(rs2));
  else
    rv_emit_(d, "%s%s %s,%s,%s", name, sfx, X(rd), X(rs1), X(rs2));
}

static void miscmem(struct rv_insn *d, uint32_t i) {
  int f3 = (i >> 12) & 7;
  char p[5], s[5];
  int pred = (i >> 24) & 15, succ = (i >> 20) & 15, fm = i >> 28;
  // The spec tells cores to ignore rd and rs1 (and fence.i's immediate),
  // so nonzero ones decode all the same.
  if (f3 == 1)
    rv_emit_(d, "fence.i");
  else if (f3 == 0 && fm == 0 && pred == 1 && succ == 0)
    rv_emit_(d, "pause");
  else if (f3 != 0)
    return;
  else if (fm == 8 && pred == 3 && succ == 3)
    rv_emit_(d, "fence.tso");
  else if (fm != 0)
    return;
  else if (pred == 15 && succ == 15)
    rv_emit_(d, "fence");
  else
    rv_emit_(d, "fence %s,%s", iorw(pred, p), iorw(succ, s));
}

static void csr(struct rv_insn *d, uint32_t i) {
  static const char *const op[8] = {NULL, "csrrw",  "csrrs",  "csrrc",
                                    NULL, "csrrwi", "csrrsi", "csrrci"};
  int f3 = (i >> 12) & 7, rd = (i >> 7) & 31, rs1 = (i >> 15) & 31;
  int num = i >> 20;
  char cn[8];
  const char *c = rv_csr_name(num);
  if (!c)
    snprintf(cn, sizeof cn, "0x%x", num), c = cn;
  d->csr = num;
  if (f3 == 2 && rs1 == 0 && (num == 0xc00 || num == 0xc01 || num == 0xc02))
    rv_emit_(d, "rd%s %s", c, X(rd));  // rdcycle, rdtime, rdinstret
  else if (f3 == 2 && rs1 == 0)
    rv_emit_(d, "csrr %s,%s", X(rd), c);
  else if (rd == 0)  // csrw, csrs, csrc and their immediate forms
    f3 < 4 ? rv_emit_(d, "csr%c %s,%s", "?wsc"[f3], c, X(rs1))
           : rv_emit_(d, "csr%ci %s,%d", "?wsc"[f3 - 4], c, rs1);
  else if (f3 < 4)
    rv_emit_(d, "%s %s,%s,%s", op[f3], X(rd), c, X(rs1));
  else
    rv_emit_(d, "%s %s,%s,%d", op[f3], X(rd), c, rs1);
}

// The hypervisor's virtual-machine loads and stores (f3 = 4).
static void hlsv(struct rv_insn *d, uint32_t i) {
  int f7 = i >> 25, rd = (i >> 7) & 31, rs1 = (i >> 15) & 31;
  int rs2 = (i >> 20) & 31, width = 1 << ((f7 >> 1) & 3);
  static const char wc[] = "bhwd";
  char w = wc[(f7 >> 1) & 3];
  if ((f7 & 0x78) != 0x30)
    return;
  d->hyp = 1;
  if (f7 & 1) {  // hsv.*: rd must be 0
    if (rd != 0)
      return;
    rv_mem_(d, 0, width, 0, rs2, rs1, 0, 0);
    rv_emit_(d, "hsv.%c %s,(%s)", w, X(rs2), X(rs1));
    return;
  }
  // hlv.x rs2=0, hlv.xu rs2=1 (not for d), hlvx.hu/wu rs2=3
  if (rs2 == 0 || (rs2 == 1 && w != 'd') ||
      (rs2 == 3 && (w == 'h' || w == 'w'))) {
    rv_mem_(d, 1, width, rs2 == 0, rd, rs1, 0, 0);
    rv_emit_(d, "hlv%s.%c%s %s,(%s)", rs2 == 3 ? "x" : "", w, rs2 ? "u" : "",
             X(rd), X(rs1));
  }
}

static void privileged(struct rv_insn *d, uint32_t i) {
  int f3 = (i >> 12) & 7, f7 = i >> 25, rd = (i >> 7) & 31;
  int rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  if (f3 == 4) {
    hlsv(d, i);
    return;
  }
  if (f3 != 0) {
    csr(d, i);
    return;
  }
  switch (i) {
  case 0x00000073: rv_emit_(d, "ecall"); return;
  case 0x00100073: rv_emit_(d, "ebreak"); return;
  case 0x10200073: rv_emit_(d, "sret"); return;
  case 0x30200073: rv_emit_(d, "mret"); return;
  case 0x10500073: rv_emit_(d, "wfi"); return;
  case 0x7b200073: rv_emit_(d, "dret"); return;
  }
  const char *name = f7 == 0x09   ? "sfence.vma"
                     : f7 == 0x11 ? "hfence.vvma"
                     : f7 == 0x31 ? "hfence.gvma"
                                  : NULL;
  if (!name || rd != 0)
    return;
  if (rs1 == 0 && rs2 == 0)
    rv_emit_(d, "%s", name);
  else if (rs2 == 0)
    rv_emit_(d, "%s %s", name, X(rs1));
  else
    rv_emit_(d, "%s %s,%s", name, X(rs1), X(rs2));
}

static void amo(struct rv_insn *d, uint32_t i) {
  static const char *const op[32] = {
      [0x00] = "amoadd",  [0x01] = "amoswap", [0x02] = "lr",
      [0x03] = "sc",      [0x04] = "amoxor",  [0x08] = "amoor",
      [0x0c] = "amoand",  [0x10] = "amomin",  [0x14] = "amomax",
      [0x18] = "amominu", [0x1c] = "amomaxu"};
  static const char *const order[4] = {"", ".rl", ".aq", ".aqrl"};
  int f3 = (i >> 12) & 7, f5 = i >> 27, rd = (i >> 7) & 31;
  int rs1 = (i >> 15) & 31, rs2 = (i >> 20) & 31;
  if ((f3 != 2 && f3 != 3) || !op[f5] || (f5 == 2 && rs2 != 0))
    return;
  d->atomic = 1;
  d->width = f3 == 2 ? 4 : 8;
  d->rs1 = rs1;
  char sz = f3 == 2 ? 'w' : 'd';
  const char *o = order[(i >> 25) & 3];
  if (f5 == 2)
    rv_emit_(d, "lr.%c%s %s,(%s)", sz, o, X(rd), X(rs1));
  else
    rv_emit_(d, "%s.%c%s %s,%s,(%s)", op[f5], sz, o, X(rd), X(rs2), X(rs1));
}

int rv_decode(uint32_t bits, uint64_t pc, struct rv_insn *d) {
  memset(d, 0, sizeof *d);
  d->csr = -1;
  d->len = rv_insn_len(bits & 0xffff);
  if (d->len == 2) {
    d->raw = bits & 0xffff;
    rv_decode16_(d, (uint16_t)bits, pc);
  } else if (d->len == 4) {
    uint32_t i = d->raw = bits;
    switch (i & 0x7f) {
    case 0x37: rv_emit_(d, "lui %s,0x%x", X((i >> 7) & 31), i >> 12); break;
    case 0x17: rv_emit_(d, "auipc %s,0x%x", X((i >> 7) & 31), i >> 12); break;
    case 0x6f: jal(d, i, pc); break;
    case 0x67: jalr(d, i); break;
    case 0x63: branch(d, i, pc); break;
    case 0x03: load(d, i); break;
    case 0x23: store(d, i); break;
    case 0x13: opimm(d, i, 0); break;
    case 0x1b: opimm(d, i, 1); break;
    case 0x33: op(d, i, 0); break;
    case 0x3b: op(d, i, 1); break;
    case 0x0f: miscmem(d, i); break;
    case 0x73: privileged(d, i); break;
    case 0x2f: amo(d, i); break;
    default: rv_decode_fp_(d, i); break;
    }
  } else
    d->raw = bits;
  if (!d->known) {
    // Whatever was half-filled in describes nothing.
    int len = d->len;
    uint32_t raw = d->raw;
    memset(d, 0, sizeof *d);
    d->len = len;
    d->raw = raw;
    d->csr = -1;
    snprintf(d->text, sizeof d->text,
             len == 2 ? "unknown 0x%04x" : "unknown 0x%08x", raw);
  }
  return d->len;
}
