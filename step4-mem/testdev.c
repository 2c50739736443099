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
#include "ldst.h"
#include "vm.h"

static struct testdev { u64 scratch, accesses; } dev;

static int testdev_access(struct vcpu *v, const struct gpf *f, void *opaque) {
  struct testdev *d = opaque;
  u64 insn, off = f->gpa - f->region->gpa;
  int len;
  struct ldst op;
  if (guest_read_insn(v->pc, &insn, &len) != 0 ||
      ldst_decode(insn, len, &op) < 0)
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
