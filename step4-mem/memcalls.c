// Stage 4: hypercalls that point at guest memory, and how the hypervisor
// reads it without trusting the pointer.
//
// HVLAB_MEMCHECK names guest-*physical* memory (as SBI's own calls do): we
// look every page up in our G-stage table and read it at the host address
// we gave it. HVLAB_READ names a guest-*virtual* address: we read it as the
// guest would, through both stages, with stage 3's fault-catching loads
// (guestmem.S). Either way a bad address is an error for the guest, never
// a fault in the hypervisor.

#include "defs.h"
#include "guest4.h"
#include "hypercall.h"
#include "vm.h"

#define MAX_BYTES (64UL << 10)  // the most one call may ask us to read

// a0 = GPA, a1 = bytes (multiples of 8): is the test pattern there?
static struct sbiret memcheck(struct vcpu *v, u64 fid) {
  (void)fid;
  u64 gpa = v->x[10], n = v->x[11];
  if ((gpa | n) & 7 || n > MAX_BYTES)
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  u64 bad = 0, first_hpa = 0;
  for (u64 off = 0; off < n; off += 8) {
    u64 hpa = gstage_translate(&vm_current->g, gpa + off, PTE_R);
    if (hpa == 0) {
      printf("hv: memcheck: GPA %lx is not guest memory\n", gpa + off);
      return SBI_ERR(SBI_ERR_INVALID_ADDRESS);
    }
    if (off == 0)
      first_hpa = hpa;
    if (*(const u64 *)hpa != g4_pattern(gpa + off))
      bad++;
  }
  printf("hv: memcheck: GPA %lx-%lx (host %lx...): %lu of %lu words hold the "
         "pattern\n",
         gpa, gpa + n - 1, first_hpa, n / 8 - bad, n / 8);
  if (bad)
    return (struct sbiret){SBI_ERR_FAILED, (i64)bad};
  return SBI_OK(n / 8);
}

// a0 = GVA, a1 = bytes: their byte sum, read as the guest would read them.
static struct sbiret read_gva(struct vcpu *v, u64 fid) {
  (void)fid;
  u64 gva = v->x[10], n = v->x[11], sum = 0;
  if (n > MAX_BYTES)
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  for (u64 i = 0; i < n; i++) {
    u64 byte, err = guest_hlv_bu(gva + i, &byte);
    if (err) {
      printf("hv: HVLAB_READ: guest '%s' passed GVA %lx: byte %lu is "
             "unreadable (%s): SBI_ERR_INVALID_ADDRESS\n",
             v->name, gva, i, hv_cause_name(err));
      return SBI_ERR(SBI_ERR_INVALID_ADDRESS);
    }
    sum += byte;
  }
  return SBI_OK(sum);
}

void memcalls_init(void) {
  hvlab_register(HVLAB_MEMCHECK, memcheck);
  hvlab_register(HVLAB_READ, read_gva);
}
