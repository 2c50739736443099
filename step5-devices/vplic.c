// Stage 5: the guest's interrupt controller -- a PLIC, emulated.
//
// Devices raise interrupt lines; the PLIC (RISC-V Platform-Level Interrupt
// Controller specification) decides which hart hears of them. Each
// *source* (a line, 1..VPLIC_NDEV) has a priority; each *context* (a hart
// in one privilege mode) has a set of enabled sources and a threshold. A
// context is interrupted while some source is pending, enabled for it, and
// of a priority above its threshold. Its handler *claims* the interrupt
// (reads the claim register: the best such source's id, which stops being
// pending), serves the device, and *completes* it (writes the id back).
//
// The layout is virt's (SiFive's):
//   0x000000 + 4*id          priority of source id (id 0 does not exist)
//   0x001000 + 4*w           pending bits of sources 32w..32w+31 (read only)
//   0x002000 + 0x80*c + 4*w  context c's enable bits, sources 32w..32w+31
//   0x200000 + 0x1000*c      context c's threshold
//   0x200004 + 0x1000*c      context c's claim (read) / complete (write)
// Contexts as on virt: 2h is hart h's M-mode, 2h+1 its S-mode. A guest has
// no M-mode, so 2h only keeps its registers; 2h+1 is what the guest's
// kernel uses, and we deliver it as hart h's VS external interrupt (hvip's
// VSEIP, through vhart_irq), which the guest sees as its S external
// interrupt.
//
// Every source is level-triggered (virt's devices all are), through a
// *gateway* that turns the line into requests: a line going high makes the
// source pending; while it is claimed and not yet completed the gateway
// forwards nothing; at completion a line still high makes it pending
// again. Only a claim clears a pending bit: a request stays pending if its
// line drops before the claim (the handler then finds its device with
// nothing to say), as the specification has it and QEMU 7.2's PLIC does.

#include "vplic.h"
#include "defs.h"
#include "hvlab/csr.h"
#include "hvlab/sbi_ids.h"
#include "spinlock.h"
#include "vhart.h"

#define NSRC (VPLIC_NDEV + 1)  // ids 0..VPLIC_NDEV
#define NWORDS ((NSRC + 31) / 32)
#define NCTX (2 * VHART_MAX)

#define PRIORITY_BASE 0x000000UL
#define PENDING_BASE 0x001000UL
#define ENABLE_BASE 0x002000UL
#define ENABLE_STRIDE 0x80UL
#define CONTEXT_BASE 0x200000UL
#define CONTEXT_STRIDE 0x1000UL
#define CONTEXT_CLAIM 4  // offset of claim/complete in a context's page
#define ID_SPACE 1024    // the layout has room for sources 0..1023

struct vplic {
  spinlock_t lock;
  int harts;  // contexts 0..2*harts-1 exist
  u32 priority[NSRC];
  u32 line[NWORDS];     // the lines as devices drive them (virq_set)
  u32 pending[NWORDS];  // requests forwarded by the gateways, not claimed
  u32 claimed[NWORDS];  // claimed and not yet completed
  u32 enable[NCTX][NWORDS];
  u32 threshold[NCTX];
  int seip[VHART_MAX];  // VSEIP as we last set it in each vhart
};

static struct vplic plic0;

static int bit(const u32 *words, int id) {
  return words[id / 32] >> id % 32 & 1;
}

// The source context c would claim now: the pending, enabled source of the
// highest priority above the threshold; of equal priorities the lowest id.
// 0 if there is none.
static int best(const struct vplic *p, int c) {
  u32 max = p->threshold[c];
  int id = 0;
  for (int i = 1; i < NSRC; i++)
    if (p->priority[i] > max && bit(p->enable[c], i) && bit(p->pending, i)) {
      max = p->priority[i];
      id = i;
    }
  return id;
}

// After any change: tell each hart whose S context's answer changed.
// (vhart_irq interrupts another physical hart if it must; it never calls
// back into the PLIC, so holding our lock across it is safe.) A vCPU that
// is not running is told nothing: it starts with no interrupt pending
// (vcpu_start clears them). So that a vCPU stopped and started again
// between two changes still hears of its interrupt, the hart that touches
// the PLIC is told its own answer every time (a CSR write, no IPI).
static void deliver(struct vplic *p) {
  struct vhart *self = vhart_self();
  for (int h = 0; h < p->harts; h++) {
    int want = best(p, 2 * h + 1) != 0;
    if (vharts[h].hsm != SBI_HSM_STATE_STARTED) {
      p->seip[h] = 0;
    } else if (want != p->seip[h] || (want && &vharts[h] == self)) {
      p->seip[h] = want;
      vhart_irq(&vharts[h], MIP_VSEIP, want);
    }
  }
}

void virq_set(int irq, int level) {
  struct vplic *p = &plic0;
  if (irq <= 0 || irq >= NSRC)
    return;  // no such source (a device model's mistake): nothing to raise
  spin_lock(&p->lock);
  u32 m = 1u << irq % 32, *line = &p->line[irq / 32];
  if (level && !(*line & m) && !(p->claimed[irq / 32] & m))
    p->pending[irq / 32] |= m;  // a rising line is a request
  if (level)
    *line |= m;
  else
    *line &= ~m;
  deliver(p);
  spin_unlock(&p->lock);
}

// Claim: a read of context c's claim register.
static u32 claim(struct vplic *p, int c) {
  // BEGIN TASK lab5.2
  int id = best(p, c);
  if (id) {
    p->pending[id / 32] &= ~(1u << id % 32);
    p->claimed[id / 32] |= 1u << id % 32;
  }
  return (u32)id;
  // STUB: (void)p;
  // STUB: (void)c;
  // STUB: @TODO@;
  // END TASK
}

// Complete: the gateway forwards the source again. The specification has
// a completion of a source not enabled for the context ignored (Linux
// enables a masked source for a moment to complete it, because of this).
static void complete(struct vplic *p, int c, u32 id) {
  // BEGIN TASK lab5.2
  if (id == 0 || id >= NSRC || !bit(p->enable[c], (int)id))
    return;
  u32 m = 1u << id % 32;
  if (!(p->claimed[id / 32] & m))
    return;
  p->claimed[id / 32] &= ~m;
  if (p->line[id / 32] & m)  // still high: the gateway forwards it again
    p->pending[id / 32] |= m;
  // STUB: (void)p;
  // STUB: (void)c;
  // STUB: (void)id;
  // STUB: @TODO@;
  // END TASK
}

// The valid bits of word w of a source bitmap (there is no source 0, nor
// any above VPLIC_NDEV).
static u32 word_mask(u64 w) {
  u32 m = ~0u;
  if (w == 0)
    m &= ~1u;
  if (w == NWORDS - 1 && NSRC % 32)
    m &= (1u << NSRC % 32) - 1;
  return m;
}

// One 32-bit register access. Addresses inside a block of registers that
// belong to sources or contexts we do not have read 0 and ignore writes,
// as the specification's "hardwired to zero"; addresses in no block at
// all are bus errors.
static int reg_access(struct vplic *p, u64 off, int write, u64 *val) {
  u64 nctx = 2 * (u64)p->harts;
  u32 v = (u32)*val, *reg = NULL, mask = 0;
  int c = -1;
  if (off < PENDING_BASE) {  // priorities
    u64 id = off / 4;
    if (id > 0 && id < NSRC)
      reg = &p->priority[id], mask = VPLIC_PRIO_MAX;
  } else if (off < PENDING_BASE + ID_SPACE / 8) {  // pending: read only
    u64 w = (off - PENDING_BASE) / 4;
    if (!write)
      *val = w < NWORDS ? p->pending[w] : 0;
    return VDEV_OK;
  } else if (off >= ENABLE_BASE && off < ENABLE_BASE + ENABLE_STRIDE * nctx) {
    c = (int)((off - ENABLE_BASE) / ENABLE_STRIDE);
    u64 w = (off - ENABLE_BASE) % ENABLE_STRIDE / 4;
    if (w < NWORDS)
      reg = &p->enable[c][w], mask = word_mask(w);
  } else if (off >= CONTEXT_BASE &&
             off < CONTEXT_BASE + CONTEXT_STRIDE * nctx) {
    c = (int)((off - CONTEXT_BASE) / CONTEXT_STRIDE);
    u64 r = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (r == CONTEXT_CLAIM) {
      if (write)
        complete(p, c, v);
      else
        *val = claim(p, c);
      return VDEV_OK;
    }
    if (r == 0)
      reg = &p->threshold[c], mask = VPLIC_PRIO_MAX;
  } else {
    return VDEV_FAULT;
  }
  if (!write)
    *val = reg ? *reg : 0;
  else if (reg)
    *reg = v & mask;
  return VDEV_OK;
}

// The access function (vdev.h): 32-bit accesses only, as the specification
// allows; anything else is a bus error.
static int vplic_access(struct vcpu *v, void *dev, struct mmio_access *a) {
  (void)v;
  struct vplic *p = dev;
  if (a->width != 4)
    return VDEV_FAULT;
  spin_lock(&p->lock);
  int r = reg_access(p, a->off, a->write, &a->val);
  if (r == VDEV_OK)
    deliver(p);  // claims, completes, enables, priorities, thresholds
  spin_unlock(&p->lock);
  return r;
}

int vplic_init(struct vm *vm, int harts) {
  struct vplic *p = &plic0;
  if (harts < 1 || harts > VHART_MAX)
    return -1;
  spin_lock(&p->lock);
  for (int h = 0; h < p->harts; h++)  // a second guest: its harts start clean
    if (p->seip[h])
      vhart_irq(&vharts[h], MIP_VSEIP, 0);
  memset(p->priority, 0, sizeof p->priority);
  memset(p->claimed, 0, sizeof p->claimed);
  for (int w = 0; w < NWORDS; w++)  // the lines stay: they are the devices'
    p->pending[w] = p->line[w];
  memset(p->enable, 0, sizeof p->enable);
  memset(p->threshold, 0, sizeof p->threshold);
  memset(p->seip, 0, sizeof p->seip);
  p->harts = harts;
  spin_unlock(&p->lock);
  return vdev_register(vm, "plic", VIRT_PLIC_GPA, VIRT_PLIC_SIZE, vplic_access,
                       p)
             ? 0
             : -1;
}
