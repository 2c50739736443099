// The RISC-V decoder: known encodings and their text, lengths, and the
// load/store descriptions MMIO emulation relies on.
//
// The encodings were produced by the GNU assembler and the expected text
// checked against objdump (objdump -M no-aliases for 16-bit ones), except
// where we differ on purpose: slli/srai/sraiw and csrwi/csrrsi where
// objdump 2.40 prints sll/sra/csrw with an immediate, csrr a0,fcsr for
// its frcsr, and c.nop for its c.addi zero,0.

#include <string.h>

#include "harness.h"
#include "rvdecode.h"

struct known {
  uint32_t bits;
  uint64_t pc;
  int len;
  const char *text;
};

static const struct known table[] = {
    // RV64I
    {0x80000537, 0, 4, "lui a0,0x80000"},
    {0x00001297, 0, 4, "auipc t0,0x1"},
    {0x00c000ef, 0x8, 4, "jal 0x14"},
    {0x0080006f, 0xc, 4, "j 0x14"},
    {0x0040056f, 0x10, 4, "jal a0,0x14"},
    {0x00008067, 0, 4, "ret"},
    {0x00078067, 0, 4, "jr a5"},
    {0x000780e7, 0, 4, "jalr a5"},
    {0x00858567, 0, 4, "jalr a0,8(a1)"},
    {0xfe0506e3, 0x28, 4, "beqz a0,0x14"},
    {0xfeb054e3, 0x2c, 4, "blez a1,0x14"},
    {0xfeb560e3, 0x34, 4, "bltu a0,a1,0x14"},
    {0x00813503, 0, 4, "ld a0,8(sp)"},
    {0xffc42503, 0, 4, "lw a0,-4(s0)"},
    {0x00255583, 0, 4, "lhu a1,2(a0)"},
    {0x00113c23, 0, 4, "sd ra,24(sp)"},
    {0x00b50023, 0, 4, "sb a1,0(a0)"},
    {0x00000013, 0, 4, "nop"},
    {0xffb00513, 0, 4, "li a0,-5"},
    {0x00058513, 0, 4, "mv a0,a1"},
    {0x0015b513, 0, 4, "seqz a0,a1"},
    {0xfff5c513, 0, 4, "not a0,a1"},
    {0x02051513, 0, 4, "slli a0,a0,0x20"},
    {0x40355513, 0, 4, "srai a0,a0,0x3"},
    {0x0005851b, 0, 4, "sext.w a0,a1"},
    {0x41f5551b, 0, 4, "sraiw a0,a0,0x1f"},
    {0x40b00533, 0, 4, "neg a0,a1"},
    {0x40b0053b, 0, 4, "negw a0,a1"},
    {0x00b03533, 0, 4, "snez a0,a1"},
    {0x0ff0000f, 0, 4, "fence"},
    {0x0330000f, 0, 4, "fence rw,rw"},
    {0x0840000f, 0, 4, "fence i,o"},
    {0x8330000f, 0, 4, "fence.tso"},
    {0x0000100f, 0, 4, "fence.i"},
    {0x0100000f, 0, 4, "pause"},
    // M, A
    {0x02c5a533, 0, 4, "mulhsu a0,a1,a2"},
    {0x02c5f53b, 0, 4, "remuw a0,a1,a2"},
    {0x1005b52f, 0, 4, "lr.d a0,(a1)"},
    {0x1ec5a52f, 0, 4, "sc.w.aqrl a0,a2,(a1)"},
    {0x04c5a52f, 0, 4, "amoadd.w.aq a0,a2,(a1)"},
    {0xe2c5b52f, 0, 4, "amomaxu.d.rl a0,a2,(a1)"},
    // Privileged and H
    {0x00000073, 0, 4, "ecall"},
    {0x00100073, 0, 4, "ebreak"},
    {0x10200073, 0, 4, "sret"},
    {0x30200073, 0, 4, "mret"},
    {0x10500073, 0, 4, "wfi"},
    {0x12000073, 0, 4, "sfence.vma"},
    {0x12050073, 0, 4, "sfence.vma a0"},
    {0x12b50073, 0, 4, "sfence.vma a0,a1"},
    {0x62000073, 0, 4, "hfence.gvma"},
    {0x22b50073, 0, 4, "hfence.vvma a0,a1"},
    {0x6005c573, 0, 4, "hlv.b a0,(a1)"},
    {0x6435c573, 0, 4, "hlvx.hu a0,(a1)"},
    {0x6c05c573, 0, 4, "hlv.d a0,(a1)"},
    {0x6ac5c073, 0, 4, "hsv.w a2,(a1)"},
    // Zicsr
    {0x600027f3, 0, 4, "csrr a5,hstatus"},
    {0x14051073, 0, 4, "csrw sscratch,a0"},
    {0x14051573, 0, 4, "csrrw a0,sscratch,a0"},
    {0x1045a073, 0, 4, "csrs sie,a1"},
    {0x1045b073, 0, 4, "csrc sie,a1"},
    {0x1002d073, 0, 4, "csrwi sstatus,5"},
    {0x10016573, 0, 4, "csrrsi a0,sstatus,2"},
    {0xc0002573, 0, 4, "rdcycle a0"},
    {0xc0102573, 0, 4, "rdtime a0"},
    {0x00302573, 0, 4, "csrr a0,fcsr"},
    {0x7c002573, 0, 4, "csrr a0,0x7c0"},
    {0x14d02573, 0, 4, "csrr a0,stimecmp"},
    {0xc0502573, 0, 4, "csrr a0,hpmcounter5"},
    {0x3bd02573, 0, 4, "csrr a0,pmpaddr13"},
    // F, D
    {0x00412507, 0, 4, "flw fa0,4(sp)"},
    {0xfe843c27, 0, 4, "fsd fs0,-8(s0)"},
    {0x6ac5f543, 0, 4, "fmadd.d fa0,fa1,fa2,fa3"},
    {0x6ac59543, 0, 4, "fmadd.d fa0,fa1,fa2,fa3,rtz"},
    {0x00c5f553, 0, 4, "fadd.s fa0,fa1,fa2"},
    {0x22b58553, 0, 4, "fmv.d fa0,fa1"},
    {0x22b59553, 0, 4, "fneg.d fa0,fa1"},
    {0x22c58553, 0, 4, "fsgnj.d fa0,fa1,fa2"},
    {0xc2051553, 0, 4, "fcvt.w.d a0,fa0,rtz"},
    {0xd2050553, 0, 4, "fcvt.d.w fa0,a0"},
    {0x4015f553, 0, 4, "fcvt.s.d fa0,fa1"},
    {0xe2050553, 0, 4, "fmv.x.d a0,fa0"},
    {0xf0050553, 0, 4, "fmv.w.x fa0,a0"},
    {0xe2051553, 0, 4, "fclass.d a0,fa0"},
    {0xa0b52553, 0, 4, "feq.s a0,fa0,fa1"},
    {0x5a05f553, 0, 4, "fsqrt.d fa0,fa1"},
    // C
    {0x0808, 0, 2, "c.addi4spn a0,sp,16"},
    {0x2588, 0, 2, "c.fld fa0,8(a1)"},
    {0x41c8, 0, 2, "c.lw a0,4(a1)"},
    {0x651c, 0, 2, "c.ld a5,8(a0)"},
    {0xa588, 0, 2, "c.fsd fa0,8(a1)"},
    {0xc1c8, 0, 2, "c.sw a0,4(a1)"},
    {0xeb84, 0, 2, "c.sd s1,16(a5)"},
    {0x0001, 0, 2, "c.nop"},
    {0x157d, 0, 2, "c.addi a0,-1"},
    {0x2505, 0, 2, "c.addiw a0,1"},
    {0x4781, 0, 2, "c.li a5,0"},
    {0x5501, 0, 2, "c.li a0,-32"},
    {0x713d, 0, 2, "c.addi16sp sp,-32"},
    {0x617d, 0, 2, "c.addi16sp sp,496"},
    {0x6505, 0, 2, "c.lui a0,0x1"},
    {0x7501, 0, 2, "c.lui a0,0xfffe0"},
    {0x810d, 0, 2, "c.srli a0,0x3"},
    {0x9481, 0, 2, "c.srai s1,0x20"},
    {0x997d, 0, 2, "c.andi a0,-1"},
    {0x8d0d, 0, 2, "c.sub a0,a1"},
    {0x8d2d, 0, 2, "c.xor a0,a1"},
    {0x8d4d, 0, 2, "c.or a0,a1"},
    {0x8d6d, 0, 2, "c.and a0,a1"},
    {0x9d0d, 0, 2, "c.subw a0,a1"},
    {0x9d2d, 0, 2, "c.addw a0,a1"},
    {0xb7f9, 0x32, 2, "c.j 0x0"},
    {0xd571, 0x34, 2, "c.beqz a0,0x0"},
    {0xf4e9, 0x36, 2, "c.bnez s1,0x0"},
    {0x1502, 0, 2, "c.slli a0,0x20"},
    {0x2522, 0, 2, "c.fldsp fa0,8(sp)"},
    {0x4532, 0, 2, "c.lwsp a0,12(sp)"},
    {0x60e2, 0, 2, "c.ldsp ra,24(sp)"},
    {0x8082, 0, 2, "c.jr ra"},
    {0x852e, 0, 2, "c.mv a0,a1"},
    {0x9002, 0, 2, "c.ebreak"},
    {0x9502, 0, 2, "c.jalr a0"},
    {0x952e, 0, 2, "c.add a0,a1"},
    {0xa42a, 0, 2, "c.fsdsp fa0,8(sp)"},
    {0xc62a, 0, 2, "c.swsp a0,12(sp)"},
    {0xff86, 0, 2, "c.sdsp ra,504(sp)"},
    // Not instructions: reserved and illegal encodings, longer formats.
    {0x0000, 0, 2, "unknown 0x0000"},
    {0x4002, 0, 2, "unknown 0x4002"},  // c.lwsp to x0
    {0x8002, 0, 2, "unknown 0x8002"},  // c.jr x0
    {0x6101, 0, 2, "unknown 0x6101"},  // c.addi16sp sp,0
    {0x9c41, 0, 2, "unknown 0x9c41"},  // reserved c.subw/c.addw slot
    {0xffffffff, 0, 4, "unknown 0xffffffff"},
    {0x0000702f, 0, 4, "unknown 0x0000702f"},  // AMO with funct3 7
    {0x6ac5d543, 0, 4, "unknown 0x6ac5d543"},  // rounding mode 5
    {0x0000001f, 0, 6, "unknown 0x0000001f"},  // a 48-bit encoding
};

TEST(rvdecode_known_encodings) {
  int bad = 0;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct known *k = &table[i];
    struct rv_insn d;
    int len = rv_decode(k->bits, k->pc, &d);
    int ok = len == k->len && d.len == k->len && strcmp(d.text, k->text) == 0;
    CHECK(ok, "%#x: got len %d '%s', want len %d '%s'", k->bits, len, d.text,
          k->len, k->text);
    CHECK(d.known == (strncmp(k->text, "unknown", 7) != 0), "%#x: known is %d",
          k->bits, d.known);
    bad += !ok;
  }
  CHECK(bad == 0, "%d of %zu encodings wrong", bad,
        sizeof table / sizeof table[0]);
}

TEST(rvdecode_lengths) {
  CHECK(rv_insn_len(0x0001) == 2, "c.nop");
  CHECK(rv_insn_len(0x9002) == 2, "c.ebreak");
  CHECK(rv_insn_len(0x0013) == 4, "addi");
  CHECK(rv_insn_len(0x0073) == 4, "ecall");
  CHECK(rv_insn_len(0x001f) == 6, "48-bit");
  CHECK(rv_insn_len(0x003f) == 8, "64-bit");
  // A compressed instruction ignores the upper half it was handed.
  struct rv_insn d;
  CHECK(rv_decode(0xdead9002, 0, &d) == 2 && strcmp(d.text, "c.ebreak") == 0,
        "c.ebreak with junk above: %d '%s'", d.len, d.text);
  CHECK(d.raw == 0x9002, "raw %#x", d.raw);
}

// One load/store description.
static void mem(uint32_t bits, int load, int width, int sign, int reg, int rs1,
                int64_t imm, int fp, int hyp) {
  struct rv_insn d;
  rv_decode(bits, 0, &d);
  CHECK(d.is_load == load && d.is_store == !load && d.width == width &&
            d.is_signed == sign && d.reg == reg && d.rs1 == rs1 &&
            d.imm == imm && d.fp == fp && d.hyp == hyp && !d.atomic,
        "%#x '%s': load %d store %d width %d signed %d reg %d rs1 %d imm "
        "%lld fp %d hyp %d",
        bits, d.text, d.is_load, d.is_store, d.width, d.is_signed, d.reg, d.rs1,
        (long long)d.imm, d.fp, d.hyp);
}

TEST(rvdecode_loads_and_stores) {
  //  bits       load width sign reg rs1 imm fp hyp
  mem(0x00813503, 1, 8, 1, 10, 2, 8, 0, 0);   // ld a0,8(sp)
  mem(0xffc42503, 1, 4, 1, 10, 8, -4, 0, 0);  // lw a0,-4(s0)
  mem(0x00255583, 1, 2, 0, 11, 10, 2, 0, 0);  // lhu a1,2(a0)
  mem(0x00113c23, 0, 8, 0, 1, 2, 24, 0, 0);   // sd ra,24(sp)
  mem(0x00b50023, 0, 1, 0, 11, 10, 0, 0, 0);  // sb a1,0(a0)
  mem(0xfe843c27, 0, 8, 0, 8, 8, -8, 1, 0);   // fsd fs0,-8(s0)
  mem(0x00412507, 1, 4, 0, 10, 2, 4, 1, 0);   // flw fa0,4(sp)
  mem(0x6c05c573, 1, 8, 1, 10, 11, 0, 0, 1);  // hlv.d a0,(a1)
  mem(0x6435c573, 1, 2, 0, 10, 11, 0, 0, 1);  // hlvx.hu a0,(a1)
  mem(0x6005c573, 1, 1, 1, 10, 11, 0, 0, 1);  // hlv.b a0,(a1)
  mem(0x6ac5c073, 0, 4, 0, 12, 11, 0, 0, 1);  // hsv.w a2,(a1)
  mem(0x41c8, 1, 4, 1, 10, 11, 4, 0, 0);      // c.lw a0,4(a1)
  mem(0x651c, 1, 8, 1, 15, 10, 8, 0, 0);      // c.ld a5,8(a0)
  mem(0xc1c8, 0, 4, 0, 10, 11, 4, 0, 0);      // c.sw a0,4(a1)
  mem(0xeb84, 0, 8, 0, 9, 15, 16, 0, 0);      // c.sd s1,16(a5)
  mem(0x2588, 1, 8, 0, 10, 11, 8, 1, 0);      // c.fld fa0,8(a1)
  mem(0x4532, 1, 4, 1, 10, 2, 12, 0, 0);      // c.lwsp a0,12(sp)
  mem(0x60e2, 1, 8, 1, 1, 2, 24, 0, 0);       // c.ldsp ra,24(sp)
  mem(0xc62a, 0, 4, 0, 10, 2, 12, 0, 0);      // c.swsp a0,12(sp)
  mem(0xff86, 0, 8, 0, 1, 2, 504, 0, 0);      // c.sdsp ra,504(sp)
  mem(0xa42a, 0, 8, 0, 10, 2, 8, 1, 0);       // c.fsdsp fa0,8(sp)
}

TEST(rvdecode_not_memory) {
  struct rv_insn d;
  rv_decode(0xe2c5b52f, 0, &d);  // amomaxu.d.rl: atomic, not plain
  CHECK(d.atomic && d.width == 8 && !d.is_load && !d.is_store,
        "amo: atomic %d width %d load %d store %d", d.atomic, d.width,
        d.is_load, d.is_store);
  rv_decode(0x600027f3, 0, &d);  // csrr a5,hstatus
  CHECK(d.csr == 0x600 && !d.is_load && !d.is_store, "csr %#x", d.csr);
  rv_decode(0x00000013, 0, &d);
  CHECK(d.csr == -1 && !d.is_load && !d.is_store && d.known, "nop");
  rv_decode(0x4002, 0, &d);  // reserved c.lwsp: no half-made description
  CHECK(!d.known && !d.is_load && d.width == 0, "reserved c.lwsp: load %d",
        d.is_load);
}

TEST(rvdecode_names) {
  CHECK(!strcmp(rv_xreg_name(0), "zero") && !strcmp(rv_xreg_name(8), "s0") &&
            !strcmp(rv_xreg_name(31), "t6"),
        "x names");
  CHECK(!strcmp(rv_freg_name(10), "fa0") && !strcmp(rv_freg_name(31), "ft11"),
        "f names");
  static const struct {
    int n;
    const char *name;
  } csrs[] = {
      {0x600, "hstatus"},      {0x680, "hgatp"},        {0x141, "sepc"},
      {0x200, "vsstatus"},     {0x300, "mstatus"},      {0xc01, "time"},
      {0xc1f, "hpmcounter31"}, {0xb03, "mhpmcounter3"}, {0x33f, "mhpmevent31"},
      {0x3a0, "pmpcfg0"},      {0x3af, "pmpcfg15"},     {0x3b0, "pmpaddr0"},
      {0x3ef, "pmpaddr63"},    {0xe12, "hgeip"}};
  for (size_t i = 0; i < sizeof csrs / sizeof csrs[0]; i++) {
    const char *n = rv_csr_name(csrs[i].n);
    CHECK(n && !strcmp(n, csrs[i].name), "csr %#x: %s, want %s", csrs[i].n,
          n ? n : "NULL", csrs[i].name);
  }
  CHECK(rv_csr_name(0x7c0) == NULL, "0x7c0 has no name");
}

// Every 16-bit pattern, and a sweep of 32-bit ones: no crash, a sane
// length, and text that is never empty.
TEST(rvdecode_never_crashes) {
  struct rv_insn d;
  int bad = 0;
  for (uint32_t c = 0; c < 0x10000; c++) {
    int len = rv_decode(c, 0x80000000, &d);
    if ((c & 3) != 3)
      bad += len != 2 || !d.text[0];
  }
  uint32_t x = 12345;
  for (int i = 0; i < 200000; i++) {
    x = x * 1664525 + 1013904223;
    uint32_t w = x | 3;
    int len = rv_decode(w, 0x80000000, &d);
    bad += (len != 4 && (w & 0x1c) != 0x1c) || !d.text[0];
  }
  CHECK(bad == 0, "%d bad decodes", bad);
}
