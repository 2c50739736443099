// Stage 4: a test device, to show the MMIO path that stage 5 builds on.
//
// Its region is registered with mmio_register() and left unmapped, so
// every guest access to it is a guest-page fault that gpf.c hands to
// testdev_access(). With htinst = 0 (QEMU 7.2) nothing tells us what the
// access was, so we read the guest's instruction (guest_read_insn, through
// the fault-catching loads), decode the load or store, do it, write the
// loaded value into the guest's register, and step over the instruction.
//
// Registers (64-bit):  +0 ID (read only)  +8 SCRATCH  +16 ACCESSES (read only)

#include "defs.h"
#include "guest4.h"
#include "vm.h"

static struct testdev { u64 scratch, accesses; } dev;

// What one load or store instruction does.
struct mmio_op {
  int store;  // 0: load into rd; 1: store rs
  int reg;    // rd or rs2
  int bytes;  // 1, 2, 4, 8
  int sign;   // a load that sign-extends (lb, lh, lw)
  int len;    // instruction length: 2 or 4
};

// Decode the loads and stores of RV64I and RVC (c.lw, c.ld, c.sw, c.sd).
// Returns 0, or -1 for anything else.
static int decode(u64 insn, int len, struct mmio_op *op) {
  op->len = len;
  if (len == 2) {
    u64 f3 = insn >> 13 & 7, q = insn & 3;
    if (q != 0 || (f3 != 2 && f3 != 3 && f3 != 6 && f3 != 7))
      return -1;
    op->store = f3 >= 6;
    op->reg = (int)(insn >> 2 & 7) + 8;  // rd' / rs2': x8..x15
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

static int testdev_access(struct vcpu *v, const struct gpf *f, void *opaque) {
  struct testdev *d = opaque;
  u64 insn, off = f->gpa - f->region->gpa;
  int len;
  struct mmio_op op;
  if (guest_read_insn(v->pc, &insn, &len) != 0 || decode(insn, len, &op) < 0)
    return vcpu_fail(v, "testdev: not a load or store it understands");
  if (off & (u64)(op.bytes - 1) || off / 8 > 2)
    return vcpu_fail(v, "testdev: misaligned or unknown register");
  d->accesses++;
  u64 *reg = off / 8 == 1 ? &d->scratch : NULL;
  if (op.store) {
    u64 val = v->x[op.reg];
    if (reg) {  // only SCRATCH is writable; a narrow store merges
      u64 shift = (off & 7) * 8,
          mask = op.bytes == 8 ? ~0UL : ((1UL << (op.bytes * 8)) - 1) << shift;
      *reg = (*reg & ~mask) | ((val << shift) & mask);
    }
  } else if (op.reg != 0) {
    u64 word = off / 8 == 0   ? G4_TESTDEV_ID
               : off / 8 == 1 ? d->scratch
                              : d->accesses;
    u64 val = word >> ((off & 7) * 8);
    if (op.bytes < 8) {
      u64 bits = (u64)op.bytes * 8;
      val &= (1UL << bits) - 1;
      if (op.sign && (val >> (bits - 1)) & 1)
        val |= ~0UL << bits;
    }
    v->x[op.reg] = val;
  }
  return op.len;  // step over the instruction
}

struct region *testdev_register(struct vm *vm) {
  dev = (struct testdev){0, 0};
  return mmio_register(vm, "testdev", G4_TESTDEV_GPA, PAGE_SIZE, testdev_access,
                       &dev);
}
