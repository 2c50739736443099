// Stage 4: guest-page faults (scause 20, 21, 23) -- a guest touched a
// guest-physical address the G-stage table does not map, or maps without
// the permission it needed (privileged spec 8.5.1 and 8.6.3).
//
// What the hardware tells us:
//   stval   the guest *virtual* address (hstatus.GVA = 1 says so)
//   htval   the guest *physical* address, shifted right by 2 (so that 41+
//           bit GPAs fit an XLEN register on RV32); its low 2 bits are
//           those of stval: GPA = htval << 2 | (stval & 3) -- except for
//           an implicit access, whose GPA is a PTE's (8-byte aligned) and
//           has nothing to do with the GVA in stval
//   htinst  the faulting instruction, transformed -- or a pseudo-
//           instruction when the fault came from an *implicit* access, the
//           guest's own page-table walk -- or 0, "no information". QEMU 7.2
//           writes the pseudo-instruction for a walk's read (0x3000) and 0
//           for every explicit access; where htinst is 0 and the guest has
//           a page table we walk it ourselves (walk_vs below) to tell.
//
// What to do is decided by the region the GPA falls in: a device's
// (MMIO) region goes to its handler; guest RAM that is mapped on demand
// gets a page; anything else stops the guest with a report.

#include "defs.h"
#include "palloc.h"
#include "riscv.h"
#include "vm.h"

struct gpf gpf_last;
u64 gpf_stops;

// htinst's pseudo-instructions for implicit accesses (8.6.3, table 8.12):
// a 32- or 64-bit read or write of a VS-stage page-table entry.
static int htinst_is_pseudo(u64 htinst) {
  return htinst == 0x00002000 || htinst == 0x00003000 || htinst == 0x00002020 ||
         htinst == 0x00003020;
}

// Walk the guest's own Sv39 table (vsatp) for gva, reading its entries
// through our G-stage table, and see whether the walk needs the faulting
// GPA. Fills f->implicit and f->implicit_why.
static void walk_vs(const struct vm *vm, u64 vsatp, struct gpf *f) {
  u64 table = (vsatp & HGATP_PPN) << PAGE_SHIFT;
  for (int level = 2; level >= 0; level--) {
    u64 idx = (f->gva >> (PAGE_SHIFT + 9 * level)) & (SV39_ENTRIES - 1);
    u64 pte_gpa = table + idx * 8;
    if ((f->gpa & ~7UL) == pte_gpa) {
      static const char *const why[] = {
          "GPA is the guest's level-0 PTE for this GVA",
          "GPA is the guest's level-1 PTE for this GVA",
          "GPA is the guest's level-2 PTE for this GVA"};
      f->implicit = 1;
      f->implicit_why = why[level];
      return;
    }
    u64 hpa = gstage_translate(&vm->g, pte_gpa, PTE_R);
    if (hpa == 0)
      break;
    u64 pte = *(u64 *)hpa;
    if (!(pte & PTE_V))
      break;
    if (PTE_IS_LEAF(pte)) {
      u64 size = 1UL << (PAGE_SHIFT + 9 * level);
      u64 gpa = (PTE_PPN(pte) << PAGE_SHIFT) + (f->gva & (size - 1));
      f->implicit = gpa != f->gpa ? -1 : 0;
      f->implicit_why = f->implicit
                            ? "the guest's table now maps the GVA elsewhere"
                            : "the guest's table maps the GVA to this GPA";
      return;
    }
    table = PTE_PPN(pte) << PAGE_SHIFT;
  }
  f->implicit = -1;
  f->implicit_why = "the guest's table does not lead to this GPA";
}

void gpf_decode(const struct vcpu *v, const struct vm_exit *e, struct gpf *f) {
  (void)v;
  memset(f, 0, sizeof *f);
  // BEGIN TASK lab4.4
  f->cause = e->cause;
  f->access = e->cause == EXC_INST_GUEST_PAGE_FAULT   ? "fetch"
              : e->cause == EXC_LOAD_GUEST_PAGE_FAULT ? "load"
                                                      : "store/AMO";
  f->gva = e->tval;
  f->gva_valid = (csr_read(hstatus) & HSTATUS_GVA) != 0;
  f->gpa = e->htval << 2 | (e->tval & 3);
  f->region = vm_current ? vm_region_of(vm_current, f->gpa) : NULL;
  // STUB: (void)e;
  // STUB: @TODO@;
  // END TASK

  u64 vsatp = csr_read(vsatp);
  if (e->htinst != 0) {  // hardware that reports it: believe it
    f->implicit = htinst_is_pseudo(e->htinst);
    f->implicit_why = f->implicit ? "a page-table access"  // after htinst's
                                  : "the transformed instruction";
  } else if (vsatp >> SATP_MODE_SHIFT == 0) {
    f->implicit = 0;
    f->implicit_why = "the guest's satp is off: no page-table walk";
  } else if (vm_current) {
    walk_vs(vm_current, vsatp, f);
  } else {
    f->implicit = -1;
    f->implicit_why = "no VM to walk the guest's table in";
  }
  if (f->implicit == 1) {  // the address of a PTE: stval's bits are the GVA's
    f->gpa = e->htval << 2;
    f->region = vm_current ? vm_region_of(vm_current, f->gpa) : NULL;
  }
}

static void gpf_report(const struct vcpu *v, const struct vm_exit *e,
                       const struct gpf *f) {
  printf("hv: guest-page fault in guest '%s': %s (scause %lu)\n", v->name,
         hv_cause_name(f->cause), f->cause);
  printf("hv:   guest virtual address  %016lx%s\n", f->gva,
         f->gva_valid ? "" : " (hstatus.GVA = 0: not a GVA)");
  printf("hv:   guest physical address %016lx (htval %lx << 2 | stval & 3)\n",
         f->gpa, e->htval);
  const char *how = f->implicit == 1
                        ? "implicit: the guest's own page-table walk"
                    : f->implicit == 0 ? "by the instruction itself"
                                       : "explicit or implicit: unknown";
  if (e->htinst != 0)
    printf("hv:   access: %s, %s (htinst = %lx: %s)\n", f->access, how,
           e->htinst, f->implicit_why);
  else
    printf("hv:   access: %s, %s (%s)\n", f->access, how, f->implicit_why);
  if (f->region)
    printf("hv:   region: '%s' %010lx-%010lx\n", f->region->name,
           f->region->gpa, f->region->gpa + f->region->size - 1);
  else
    printf("hv:   region: none (no memory or device of the guest's there)\n");
  u64 insn;
  int len;
  u64 err = guest_read_insn(e->pc, &insn, &len);
  if (err)
    printf("hv:   instruction at pc %016lx: unreadable (%s)\n", e->pc,
           hv_cause_name(err));
  else
    printf(len == 2 ? "hv:   instruction at pc %016lx: %04lx (2 bytes)\n"
                    : "hv:   instruction at pc %016lx: %08lx (4 bytes)\n",
           e->pc, insn);
}

// Stop the guest: a fault no region explains, or one its region forbids.
static int gpf_stop(struct vcpu *v, struct vm_exit *e, const struct gpf *f,
                    const char *why) {
  gpf_report(v, e, f);
  gpf_last = *f;
  gpf_stops++;
  char msg[128];
  snprintf(msg, sizeof msg, "%s at GPA %lx", why, f->gpa);
  return vcpu_fail(v, msg);
}

// Guest RAM that is mapped on demand: give the page a host page, map it,
// and let the guest run its instruction again.
static int map_on_demand(struct vcpu *v, struct vm_exit *e,
                         const struct gpf *f) {
  // BEGIN TASK lab4.5
  struct vm *vm = vm_current;
  u64 page = f->gpa & ~(PAGE_SIZE - 1);
  void *host = palloc(PAGE_SIZE, PAGE_SIZE);
  if (host == NULL)
    return gpf_stop(v, e, f, "out of host memory for guest RAM");
  if (gstage_map(&vm->g, page, (u64)host, PAGE_SIZE, PTE_R | PTE_W | PTE_X) < 0)
    return gpf_stop(v, e, f, "cannot map guest RAM");
  // The fault may have left the old "invalid" answer in the TLB (spec
  // 4.2.1's note on lazy fences): flush it for this GPA and VMID.
  gstage_flush(&vm->g, page);
  vm->demand_maps++;
  return 0;  // run the faulting instruction again
  // STUB: (void)v;
  // STUB: (void)e;
  // STUB: (void)f;
  // STUB: @TODO@;
  // END TASK
}

// What to do about a decoded fault: its region decides.
int gpf_handle(struct vcpu *v, struct vm_exit *e, const struct gpf *f) {
  const struct region *r = f->region;
  if (r == NULL)
    return gpf_stop(v, e, f, "access outside the guest's memory");
  switch (r->kind) {
  case REGION_MMIO: return r->mmio(v, f, r->dev);
  case REGION_RAM:
    if (r->hpa == 0)
      return map_on_demand(v, e, f);
    return gpf_stop(v, e, f, "fault in RAM that is mapped");
  case REGION_ROM:
    return gpf_stop(v, e, f,
                    f->cause == EXC_STORE_GUEST_PAGE_FAULT
                        ? "write to read-only memory"
                        : "fault in ROM that is mapped");
  }
  return gpf_stop(v, e, f, "unknown region");
}

// The exit handler for scause 20, 21 and 23.
int guest_page_fault(struct vcpu *v, struct vm_exit *e) {
  struct gpf f;
  gpf_decode(v, e, &f);
  return gpf_handle(v, e, &f);
}

void gpf_init(void) {
  exits_register(EXC_INST_GUEST_PAGE_FAULT, guest_page_fault);
  exits_register(EXC_LOAD_GUEST_PAGE_FAULT, guest_page_fault);
  exits_register(EXC_STORE_GUEST_PAGE_FAULT, guest_page_fault);
}
