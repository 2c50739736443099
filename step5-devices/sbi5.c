// Stage 5: the rest of the SBI a kernel expects of its firmware (SBI spec
// v2.0): TIME, IPI, RFENCE, HSM, DBCN and the legacy calls, for a guest
// with several harts. Stage 3's hypercall() finds them by extension id and
// writes their answers into a0/a1.
//
// Hart masks (IPI, RFENCE): hart_mask_base = -1 means every hart;
// otherwise bit i of hart_mask names hart hart_mask_base + i, and a mask
// that names a hart the guest does not have is SBI_ERR_INVALID_PARAM.

#include "defs.h"
#include "hypercall.h"
#include "riscv.h"
#include "spinlock.h"
#include "vhart.h"

#define SBI_SPEC_2_0 (2L << 24)  // major in bits 24..30, minor below

// BASE: stage 3's, but this stage implements SBI v2.0.
static struct sbiret base5(struct vcpu *v, u64 fid) {
  if (fid == SBI_BASE_GET_SPEC_VERSION)
    return SBI_OK(SBI_SPEC_2_0);
  return sbi_base(v, fid);
}

// The harts a (mask, base) pair names, as a bit set of vCPU ids, or -1.
static long hart_set(u64 mask, u64 base) {
  if (base == ~0UL)
    return (1L << nharts) - 1;
  long set = 0;
  for (int i = 0; i < 64; i++) {
    if (!(mask >> i & 1))
      continue;
    if (base >= (u64)nharts || (u64)i >= (u64)nharts - base)
      return -1;
    set |= 1L << (base + (u64)i);
  }
  return set;
}

// ---- TIME --------------------------------------------------------------
static struct sbiret sbi_time(struct vcpu *v, u64 fid) {
  if (fid != SBI_TIME_SET_TIMER)
    return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  vtimer_sbi(vhart_of(v), v->x[10]);
  return SBI_OK(0);
}

// ---- IPI ---------------------------------------------------------------
static void send_ipis(long set) {
  // BEGIN TASK lab5.5
  for (int i = 0; i < nharts; i++)
    if (set >> i & 1)
      vhart_irq(&vharts[i], MIP_VSSIP, 1);  // the guest clears it
  // STUB: (void)set;
  // STUB: @TODO@;
  // END TASK
}

static struct sbiret sbi_ipi(struct vcpu *v, u64 fid) {
  if (fid != SBI_IPI_SEND_IPI)
    return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  long set = hart_set(v->x[10], v->x[11]);
  if (set < 0)
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  send_ipis(set);
  return SBI_OK(0);
}

// ---- RFENCE ------------------------------------------------------------
// Each vCPU's translations are cached by its own hart, so a remote fence
// asks those harts to fence and waits until they have. The range and ASID
// only narrow what must be flushed: flushing all of the guest's
// translations is always correct.
static void fence_harts(long set, u64 req) {
  for (int i = 0; i < nharts; i++)
    if (set >> i & 1)
      vhart_request(&vharts[i], req, 1);
}

static struct sbiret sbi_rfence(struct vcpu *v, u64 fid) {
  long set = hart_set(v->x[10], v->x[11]);
  switch (fid) {
  case SBI_RFENCE_FENCE_I:
  case SBI_RFENCE_SFENCE_VMA:
  case SBI_RFENCE_SFENCE_VMA_ASID:
    if (set < 0)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    fence_harts(set, fid == SBI_RFENCE_FENCE_I ? VHART_REQ_FENCE_I
                                               : VHART_REQ_HFENCE_VVMA);
    return SBI_OK(0);
  default:
    // The hfence calls are for harts with the H extension; the guest's
    // harts have none (its riscv,isa says so), and for such harts the
    // spec's answer is "not supported".
    return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  }
}

// ---- HSM ---------------------------------------------------------------
static spinlock_t hsm_lock;

// An address a hart can start at: in the guest's RAM.
static int startable(u64 gpa) {
  const struct region *r = vm_region_of(vm_current, gpa);
  return r && r->kind != REGION_MMIO && !(gpa & 1);
}

static struct sbiret hart_start(u64 id, u64 pc, u64 opaque) {
  if (id >= (u64)nharts)
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  if (!startable(pc))
    return SBI_ERR(SBI_ERR_INVALID_ADDRESS);
  struct vhart *h = &vharts[id];
  spin_lock(&hsm_lock);
  // BEGIN TASK lab5.6
  if (h->hsm != SBI_HSM_STATE_STOPPED) {
    spin_unlock(&hsm_lock);
    return SBI_ERR(SBI_ERR_ALREADY_AVAILABLE);
  }
  h->start_pc = pc;
  h->start_opaque = opaque;
  __atomic_store_n(&h->hsm, SBI_HSM_STATE_START_PENDING, __ATOMIC_RELEASE);
  spin_unlock(&hsm_lock);
  sbi_call(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, h->phys, 0);  // wake it
  return SBI_OK(0);
  // STUB: (void)h;
  // STUB: (void)opaque;
  // STUB: @TODO@;
  // END TASK
}

static struct sbiret sbi_hsm(struct vcpu *v, u64 fid) {
  struct vhart *h = vhart_of(v);
  u64 a0 = v->x[10];
  switch (fid) {
  case SBI_HSM_HART_START: return hart_start(a0, v->x[11], v->x[12]);
  case SBI_HSM_HART_STOP:
    __atomic_store_n(&h->hsm, SBI_HSM_STATE_STOP_PENDING, __ATOMIC_RELEASE);
    v->state = VCPU_STOPPED;
    return SBI_STOPPED;  // it does not return: smp.c parks the vCPU
  case SBI_HSM_HART_GET_STATUS:
    if (a0 >= (u64)nharts)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    return SBI_OK(vharts[a0].hsm);
  case SBI_HSM_HART_SUSPEND: {
    u64 type = a0, resume = v->x[11], opaque = v->x[12];
    if (type == SBI_HSM_SUSPEND_RET_DEFAULT) {
      host_wait();
      return SBI_OK(0);
    }
    if (type == SBI_HSM_SUSPEND_NON_RET_DEFAULT) {
      if (!startable(resume))
        return SBI_ERR(SBI_ERR_INVALID_ADDRESS);
      host_wait();
      // It resumes like a started hart: at `resume`, a0 = hart id, a1 =
      // opaque, satp 0, interrupts off. hypercall() writes the answer
      // into a0/a1 and skips 4 bytes, so answer (id, opaque) from 4 bytes
      // before `resume`.
      csr_write(vsatp, 0);
      csr_clear(vsstatus, SSTATUS_SIE);
      v->pc = resume - 4;
      return (struct sbiret){h->id, (i64)opaque};
    }
    // 0x10000000-0x7fffffff and 0x90000000-0xffffffff are platform
    // specific (none here); the rest is reserved.
    if ((type >= 0x10000000 && type <= 0x7fffffff) ||
        (type >= 0x90000000 && type <= 0xffffffff))
      return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
    return SBI_ERR(SBI_ERR_INVALID_PARAM);
  }
  default: return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  }
}

// ---- DBCN: the debug console (SBI v2.0, chapter 12) ---------------------
// Buffers are given by guest-physical address (base_lo; base_hi must be 0
// on RV64) and copied through the G-stage (vm_read/vm_write), which fails
// cleanly for any byte that is not guest RAM.
#define DBCN_CHUNK 256
static struct sbiret sbi_dbcn(struct vcpu *v, u64 fid) {
  u64 n = v->x[10], gpa = v->x[11], hi = v->x[12];
  u8 buf[DBCN_CHUNK];
  switch (fid) {
  case SBI_DBCN_WRITE_BYTE:
    guest_putc((int)(v->x[10] & 0xff));
    return SBI_OK(0);
  case SBI_DBCN_WRITE:
    if (hi != 0 || gpa + n < gpa)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    if (n > DBCN_CHUNK)  // a partial write: the guest writes the rest
      n = DBCN_CHUNK;
    if (vm_read(vm_current, gpa, buf, n) < 0)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    for (u64 i = 0; i < n; i++)
      guest_putc(buf[i]);
    return SBI_OK(n);
  case SBI_DBCN_READ: {
    if (hi != 0 || gpa + n < gpa)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    if (n > DBCN_CHUNK)
      n = DBCN_CHUNK;
    if (n && vm_read(vm_current, gpa, buf, n) < 0)  // all writable RAM?
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    u64 got = 0;
    int c;
    while (got < n && (c = uart_getc()) >= 0)
      buf[got++] = (u8)c;
    if (got && vm_write(vm_current, gpa, buf, got) < 0)
      return SBI_ERR(SBI_ERR_INVALID_PARAM);
    return SBI_OK(got);
  }
  default: return SBI_ERR(SBI_ERR_NOT_SUPPORTED);
  }
}

// ---- Legacy (SBI v0.1) ---------------------------------------------------
// Their hart masks are a pointer to an unsigned long in the guest's
// *virtual* memory (read with the guest's own translation); 0 = all harts.
static long legacy_mask(u64 gva) {
  if (gva == 0)
    return (1L << nharts) - 1;
  u64 mask = 0, byte;
  for (int i = 0; i < 8; i++) {
    if (guest_hlv_bu(gva + (u64)i, &byte) != 0)
      return -1;
    mask |= byte << (8 * i);
  }
  return hart_set(mask, 0);
}

static struct sbiret legacy(struct vcpu *v, u64 fid) {
  (void)fid;
  long set;
  switch (v->x[17]) {
  case SBI_EXT_LEGACY_SET_TIMER:
    vtimer_sbi(vhart_of(v), v->x[10]);
    return SBI_LEGACY(v, 0);
  case SBI_EXT_LEGACY_CLEAR_IPI:
    csr_clear(hvip, MIP_VSSIP);
    return SBI_LEGACY(v, 0);
  case SBI_EXT_LEGACY_SEND_IPI:
    if ((set = legacy_mask(v->x[10])) < 0)
      return SBI_LEGACY(v, SBI_ERR_INVALID_PARAM);
    send_ipis(set);
    return SBI_LEGACY(v, 0);
  default:  // the three remote fences
    if ((set = legacy_mask(v->x[10])) < 0)
      return SBI_LEGACY(v, SBI_ERR_INVALID_PARAM);
    fence_harts(set, v->x[17] == SBI_EXT_LEGACY_REMOTE_FENCE_I
                         ? VHART_REQ_FENCE_I
                         : VHART_REQ_HFENCE_VVMA);
    return SBI_LEGACY(v, 0);
  }
}

void sbi5_init(void) {
  sbi_register(SBI_EXT_BASE, SBI_EXT_BASE, base5);
  sbi_register(SBI_EXT_TIME, SBI_EXT_TIME, sbi_time);
  sbi_register(SBI_EXT_IPI, SBI_EXT_IPI, sbi_ipi);
  sbi_register(SBI_EXT_RFENCE, SBI_EXT_RFENCE, sbi_rfence);
  sbi_register(SBI_EXT_HSM, SBI_EXT_HSM, sbi_hsm);
  sbi_register(SBI_EXT_DBCN, SBI_EXT_DBCN, sbi_dbcn);
  sbi_register(SBI_EXT_LEGACY_SET_TIMER, SBI_EXT_LEGACY_SET_TIMER, legacy);
  sbi_register(SBI_EXT_LEGACY_CLEAR_IPI, SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID,
               legacy);
}
