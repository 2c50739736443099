// Stage 5: trap-and-emulate of devices (vdev.h).
//
// A device's region is left out of the G-stage table, so a guest load or
// store there is a guest-page fault. QEMU 7.2 leaves htinst 0, so nothing
// says what the access was: we read the instruction at the guest's pc
// (stage 3's guest_read_insn: through the guest's own translation, with
// the loads that survive a fault, compressed instructions included),
// decode it (stage 4's ldst_decode), let the device do the access, write
// a load's value into the guest's register, and step over the instruction.

#include "defs.h"
#include "ldst.h"
#include "riscv.h"
#include "vdev.h"
#include "vhart.h"

#define MAX_VDEVS 8
static struct vdev {
  vdev_access_t fn;
  void *dev;
} vdevs[MAX_VDEVS];
static int nvdevs;

// The guest takes a trap it would take on real hardware: as if hedeleg
// had sent it there, into VS-mode at vstvec (a vectored vstvec sends
// exceptions to its base too).
int guest_inject(struct vcpu *v, u64 cause, u64 tval) {
  u64 vs = csr_read(vsstatus);
  u64 spp = csr_read(sstatus) & SSTATUS_SPP;  // where the guest was: VS or VU
  vs = (vs & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE)) | spp |
       ((vs & SSTATUS_SIE) ? SSTATUS_SPIE : 0);
  csr_write(vsstatus, vs);
  csr_write(vsepc, v->pc);
  csr_write(vscause, cause);
  csr_write(vstval, tval);
  v->pc = csr_read(vstvec) & ~3UL;
  csr_set(sstatus, SSTATUS_SPP);  // and it runs its handler in VS-mode
  return 0;
}

// Sign- or zero-extend the low `bytes` bytes of val.
static u64 extend(u64 val, int bytes, int sign) {
  if (bytes == 8)
    return val;
  u64 bits = (u64)bytes * 8;
  val &= (1UL << bits) - 1;
  if (sign && (val >> (bits - 1)) & 1)
    val |= ~0UL << bits;
  return val;
}

// The exit handler for a guest-page fault in a device's region (stage 4's
// gpf.c calls it with the fault decoded).
static int mmio_emulate(struct vcpu *v, const struct gpf *f, void *opaque) {
  const struct vdev *d = opaque;
  u64 insn;
  int len;
  struct ldst op;
  u64 fault = f->cause == EXC_LOAD_GUEST_PAGE_FAULT ? EXC_LOAD_ACCESS
                                                    : EXC_STORE_ACCESS;
  if (f->cause == EXC_INST_GUEST_PAGE_FAULT)  // running code from a device
    return guest_inject(v, EXC_INST_ACCESS, f->gva);
  if (f->implicit == 1)  // its page table in a device: a bus error
    return guest_inject(v, fault, f->gva);
  // BEGIN TASK lab5.1
  if (guest_read_insn(v->pc, &insn, &len) != 0 ||
      ldst_decode(insn, len, &op) < 0 ||
      op.store != (f->cause == EXC_STORE_GUEST_PAGE_FAULT))
    return guest_inject(v, fault, f->gva);  // an AMO, FP load, ...
  struct mmio_access a = {
      .off = f->gpa - f->region->gpa,
      .width = op.bytes,
      .write = op.store,
      .val = op.store ? extend(v->x[op.reg], op.bytes, 0) : 0,
  };
  if (a.off & (u64)(a.width - 1))  // misaligned: no bus does that
    return guest_inject(v, fault, f->gva);
  int r = d->fn(v, d->dev, &a);
  if (r == VDEV_STOP)
    return EXIT_STOP;
  if (r != VDEV_OK)
    return guest_inject(v, fault, f->gva);
  if (!op.store && op.reg != 0)
    v->x[op.reg] = extend(a.val, op.bytes, op.sign);
  return op.len;
  // STUB: (void)v;
  // STUB: (void)d;
  // STUB: (void)insn;
  // STUB: (void)len;
  // STUB: (void)op;
  // STUB: (void)fault;
  // STUB: (void)extend;
  // STUB: @TODO@;
  // END TASK
}

struct region *vdev_register(struct vm *vm, const char *name, u64 gpa, u64 size,
                             vdev_access_t fn, void *dev) {
  if (nvdevs == MAX_VDEVS)
    return NULL;
  struct vdev *d = &vdevs[nvdevs];
  *d = (struct vdev){fn, dev};
  struct region *r = mmio_register(vm, name, gpa, size, mmio_emulate, d);
  if (r)
    nvdevs++;
  return r;
}

// Stage 5's guest-page fault handler: a guest-physical address where the
// guest has neither memory nor a device is, for a kernel on real hardware,
// a bus error: it gets an access fault (and may handle it) instead of
// being stopped as at stage 4. Everything else is stage 4's business.
static int guest_page_fault5(struct vcpu *v, struct vm_exit *e) {
  struct gpf f;
  gpf_decode(v, e, &f);
  if (f.region != NULL)
    return gpf_handle(v, e, &f);  // stage 4: devices, RAM on demand
  u64 cause = e->cause == EXC_INST_GUEST_PAGE_FAULT   ? EXC_INST_ACCESS
              : e->cause == EXC_LOAD_GUEST_PAGE_FAULT ? EXC_LOAD_ACCESS
                                                      : EXC_STORE_ACCESS;
  return guest_inject(v, cause, e->tval);
}

void mmio_init(void) {
  exits_register(EXC_INST_GUEST_PAGE_FAULT, guest_page_fault5);
  exits_register(EXC_LOAD_GUEST_PAGE_FAULT, guest_page_fault5);
  exits_register(EXC_STORE_GUEST_PAGE_FAULT, guest_page_fault5);
}
