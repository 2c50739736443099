// Stage 5: several vCPUs, each on a physical hart of its own (vhart.h).
//
// The boot hart finds the other harts (SBI HSM hart_get_status, asked of
// OpenSBI) and starts them at hart_entry. Every hart then serves one
// vCPU: it waits until the guest starts that vCPU (SBI HSM hart_start,
// sbi5.c), runs it with stage 3's vcpu_loop, and waits again if the guest
// stops it (hart_stop), until the VM ends.
//
// Harts talk to each other with IPIs (SBI send_ipi, asked of OpenSBI): an
// IPI makes the hart that runs a vCPU exit (scause = supervisor software
// interrupt), and its handler, vhart_sync(), applies what was asked:
// interrupt bits for the guest's hvip, fences, or "stop, the VM is over".

#include "defs.h"
#include "hypercall.h"
#include "riscv.h"
#include "sbi.h"
#include "vhart.h"

#define HART_STACK_SIZE 16384

struct vhart vharts[VHART_MAX];
int nharts;
int guest_sstc;
static u8 hart_stacks[VHART_MAX][HART_STACK_SIZE] __attribute__((aligned(16)));
static const char *vm_name;
static volatile int vm_over;  // the VM has ended: every vCPU stops
static volatile int vm_status;

struct vhart *vhart_self(void) {
  u64 sp;
  asm volatile("mv %0, sp" : "=r"(sp));
  for (int i = 1; i < nharts; i++)
    if (sp >= (u64)hart_stacks[i] && sp < (u64)hart_stacks[i] + HART_STACK_SIZE)
      return &vharts[i];
  return &vharts[0];  // the boot hart, on the boot stack
}

// Interrupt the physical hart that runs h.
static void kick(struct vhart *h) {
  sbi_call(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, h->phys, 0);
}

static void hfence_vvma_all(void) {
  asm volatile(".insn r 0x73, 0, 0x11, x0, x0, x0" ::: "memory");
}

void vhart_irq(struct vhart *h, u64 bits, int level) {
  if (level) {
    __atomic_fetch_or(&h->raise, bits, __ATOMIC_ACQ_REL);
    __atomic_fetch_and(&h->lower, ~bits, __ATOMIC_ACQ_REL);
  } else {
    __atomic_fetch_or(&h->lower, bits, __ATOMIC_ACQ_REL);
    __atomic_fetch_and(&h->raise, ~bits, __ATOMIC_ACQ_REL);
  }
  if (h == vhart_self()) {  // our own vCPU, loaded here: hvip now
    u64 r = __atomic_exchange_n(&h->raise, 0, __ATOMIC_ACQ_REL);
    u64 l = __atomic_exchange_n(&h->lower, 0, __ATOMIC_ACQ_REL);
    csr_set(hvip, r);
    csr_clear(hvip, l);
  } else if (h->hsm == SBI_HSM_STATE_STARTED) {
    kick(h);
  }
}

// The fences a hart can do for itself at any time.
static void do_fences(u64 req) {
  if (req & VHART_REQ_FENCE_I)
    asm volatile("fence.i" ::: "memory");
  if (req & VHART_REQ_HFENCE_VVMA)
    hfence_vvma_all();
}

void vhart_request(struct vhart *h, u64 req, int wait) {
  struct vhart *me = vhart_self();
  if (h == me) {
    do_fences(req);
    return;
  }
  if (h->hsm != SBI_HSM_STATE_STARTED && !(req & VHART_REQ_STOP))
    return;  // not running a guest: it fences when it next starts one
  u64 seq = h->acks;
  __atomic_fetch_or(&h->requests, req, __ATOMIC_ACQ_REL);
  kick(h);
  // Wait for its answer -- doing our own fences meanwhile, in case it is
  // waiting for us at the same time.
  while (wait && h->acks == seq && h->hsm == SBI_HSM_STATE_STARTED) {
    u64 mine = __atomic_exchange_n(&me->requests, 0, __ATOMIC_ACQ_REL);
    do_fences(mine);
    if (mine & VHART_REQ_STOP)  // keep it for our own exit handler
      __atomic_fetch_or(&me->requests, VHART_REQ_STOP, __ATOMIC_ACQ_REL);
    if (mine & ~VHART_REQ_STOP)
      __atomic_fetch_add(&me->acks, 1, __ATOMIC_ACQ_REL);
  }
}

int vhart_sync(struct vhart *h) {
  u64 r = __atomic_exchange_n(&h->raise, 0, __ATOMIC_ACQ_REL);
  u64 l = __atomic_exchange_n(&h->lower, 0, __ATOMIC_ACQ_REL);
  csr_set(hvip, r);
  csr_clear(hvip, l);
  u64 req = __atomic_exchange_n(&h->requests, 0, __ATOMIC_ACQ_REL);
  do_fences(req);
  if (req)
    __atomic_fetch_add(&h->acks, 1, __ATOMIC_ACQ_REL);
  if (req & VHART_REQ_STOP) {
    h->vcpu.state = VCPU_STOPPED;
    h->vcpu.status = 0;
    return EXIT_STOP;
  }
  return 0;  // run the interrupted instruction
}

// The exit handler for an IPI (supervisor software interrupt).
static int ipi_exit(struct vcpu *v, struct vm_exit *e) {
  (void)e;
  csr_clear(sip, 1UL << IRQ_SSI);
  if (host_input_poll)
    host_input_poll();
  return vhart_sync(vhart_of(v));
}

void vm_end(struct vhart *h, int status) {
  if (__atomic_exchange_n(&vm_over, 1, __ATOMIC_ACQ_REL) == 0)
    vm_status = status;
  for (int i = 0; i < nharts; i++)
    if (&vharts[i] != h) {
      __atomic_fetch_or(&vharts[i].requests, VHART_REQ_STOP, __ATOMIC_ACQ_REL);
      kick(&vharts[i]);
    }
}

// Set up this hart's vCPU for a start (boot, or hart_start): as a hart
// fresh from firmware, a0 = hart id, a1 = opaque, satp 0, interrupts off.
static void vcpu_start(struct vhart *h) {
  struct vcpu *v = &h->vcpu;
  vcpu_init(v, vm_name, h->start_pc, 0);
  v->id = h->id;
  v->x[10] = (u64)h->id;
  v->x[11] = h->start_opaque;
  v->ctl.hgatp = vm_current->g.hgatp;
  // The guest is a whole kernel: it runs its own sret and satp (no VTSR,
  // VTVM), handles its own illegal instructions and breakpoints, and has
  // Sstc only if the device tree says so.
  v->ctl.hstatus &= ~(HSTATUS_VTSR | HSTATUS_VTVM);
  v->ctl.hedeleg |= (1UL << EXC_ILLEGAL_INST) | (1UL << EXC_BREAKPOINT);
  if (!guest_sstc)
    v->ctl.henvcfg &= ~HENVCFG_STCE;
  v->vs.vsstatus = SSTATUS_FS;  // FPU on (Dirty), as OpenSBI leaves it
  memset(h->fp, 0, sizeof h->fp);
  fp_restore(h->fp);
  h->timer = ~0UL;
  host_timer_set(~0UL);
  h->raise = h->lower = 0;
}

// Serve h's vCPU on this hart until the VM ends.
static void vhart_serve(struct vhart *h) {
  for (;;) {
    while (h->hsm != SBI_HSM_STATE_START_PENDING && !vm_over) {
      asm volatile("wfi");
      csr_clear(sip, 1UL << IRQ_SSI);
    }
    if (vm_over)
      return;
    vcpu_start(h);
    __atomic_store_n(&h->hsm, SBI_HSM_STATE_STARTED, __ATOMIC_RELEASE);
    int st = vcpu_loop(&h->vcpu);
    fp_save(h->fp);
    if (h->hsm == SBI_HSM_STATE_STOP_PENDING && !vm_over) {
      // Say so first: a guest that sees STOPPED may print at once.
      printf("hv: vCPU %d stopped (SBI HSM hart_stop)\n", h->id);
      __atomic_store_n(&h->hsm, SBI_HSM_STATE_STOPPED, __ATOMIC_RELEASE);
      continue;
    }
    __atomic_store_n(&h->hsm, SBI_HSM_STATE_STOPPED, __ATOMIC_RELEASE);
    vm_end(h, st);
    return;
  }
}

// Everything a hart needs before it can run a vCPU.
static void hart_setup(void) {
  csr_set(sstatus, SSTATUS_FS);  // guests use the FPU (and fp_save does)
  // IPIs from the other harts and our own timer interrupt the guest (an
  // exit); in HS-mode they only end a wfi (sstatus.SIE stays 0).
  csr_write(sie, (1UL << IRQ_SSI) | (1UL << IRQ_STI));
  host_timer_set(~0UL);
}

// A secondary hart, from hart_entry.
void hart_main(u64 hartid) {
  trap_init();
  struct vhart *h = NULL;
  for (int i = 1; i < nharts; i++)
    if (vharts[i].phys == hartid)
      h = &vharts[i];
  if (h == NULL)
    return;  // not one of ours: hart_entry parks it
  hart_setup();
  __atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);
  vhart_serve(h);
  __atomic_store_n(&h->parked, 1, __ATOMIC_RELEASE);
}

// Start h's physical hart at hart_entry and wait until it is ready.
// OpenSBI 1.1 has two races here. A hart may not have reached STOPPED yet
// (hart_start answers ALREADY_AVAILABLE): ask again. And hart_start marks
// the hart START_PENDING before it stores the address to start at, so a
// hart that wakes in between starts at the kernel's default entry, our
// _start, whose lottery (entry.S) stops it again: then start it again.
static void start_hart(struct vhart *h) {
  extern char hart_entry[];
  u64 top = (u64)(hart_stacks[h->id] + HART_STACK_SIZE);
  for (int attempt = 0; attempt < 100; attempt++) {
    struct sbiret r;
    for (long tries = 0;; tries++) {
      r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, h->phys, (u64)hart_entry,
                   top);
      if (r.error != SBI_ERR_ALREADY_AVAILABLE || tries == 100000)
        break;
    }
    if (r.error != SBI_SUCCESS)
      panic("cannot start hart %lu: SBI error %ld", h->phys, r.error);
    while (!h->ready) {
      r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, h->phys, 0, 0);
      if (!h->ready && r.error == SBI_SUCCESS &&
          r.value == SBI_HSM_STATE_STOPPED)
        break;  // it went to _start and stopped itself: again
    }
    if (h->ready)
      return;
  }
  panic("hart %lu does not start at hart_entry", h->phys);
}

int smp_init(const char *name) {
  vm_name = name;
  vharts[0].phys = boot_hartid;
  nharts = 1;
  int more = 0;
  for (u64 id = 0; id < 64; id++) {
    if (id == boot_hartid)
      continue;
    struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, id, 0, 0);
    if (r.error != SBI_SUCCESS)
      continue;
    if (nharts < VHART_MAX)
      vharts[nharts++].phys = id;
    else
      more++;
  }
  if (more)
    printf("hv: %d more harts than a guest may have (%d) stay unused\n", more,
           VHART_MAX);
  for (int i = 0; i < nharts; i++) {
    vharts[i].id = i;
    vharts[i].hsm = SBI_HSM_STATE_STOPPED;
    vharts[i].timer = ~0UL;
  }
  hart_setup();
  for (int i = 1; i < nharts; i++)
    start_hart(&vharts[i]);
  printf("hv: %d vCPU%s on physical hart%s", nharts, nharts > 1 ? "s" : "",
         nharts > 1 ? "s" : "");
  for (int i = 0; i < nharts; i++)
    printf(" %lu", vharts[i].phys);
  printf(" (vCPU 0 on the boot hart)\n");
  exits_register(SCAUSE_INTERRUPT | IRQ_SSI, ipi_exit);
  return nharts;
}

int smp_run(u64 pc, u64 a1) {
  struct vhart *h = &vharts[0];
  h->start_pc = pc;
  h->start_opaque = a1;
  h->hsm = SBI_HSM_STATE_START_PENDING;
  vhart_serve(h);
  // The others leave as soon as their IPI arrives.
  for (int i = 1; i < nharts; i++)
    while (!vharts[i].parked)
      ;
  return vm_status;
}
