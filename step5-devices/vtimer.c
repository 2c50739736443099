// Stage 5: the guest's timer and wfi.
//
// A guest kernel sets its next timer tick one of two ways:
//  - with Sstc (the device tree's riscv,isa says "sstc"), by writing its
//    own stimecmp, which under V=1 is vstimecmp: the hardware compares it
//    with the guest's time and raises the VS timer interrupt itself. No
//    exit at all. SBI set_timer, if the guest uses it anyway, writes the
//    same register.
//  - without, by SBI set_timer (an ecall exit). We keep the deadline and
//    program our own timer (stimecmp of HS-mode, or OpenSBI's set_timer
//    without Sstc on the host); when it fires, the guest is interrupted (an
//    exit) and we raise the VS timer interrupt in hvip. Two exits a tick.
//
// wfi: hstatus.VTW makes a guest's wfi trap (a virtual-instruction exit).
// We then wait in HS-mode with wfi ourselves: it returns when any interrupt
// is pending that the guest enabled (the hardware counts the VS bits of
// hip & hie, the guest's view) or that we did (an IPI, our timer).

#include "defs.h"
#include "hext.h"
#include "riscv.h"
#include "sbi.h"
#include "vhart.h"

void (*host_input_poll)(void);

void host_timer_set(u64 when) {
  if (h_henvcfg & HENVCFG_STCE)  // the host has Sstc: our own stimecmp
    csr_write(stimecmp, when);
  else
    sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, when, 0, 0);
}

// SBI set_timer (and the legacy one): the next tick at guest time `when`.
// It clears a pending timer interrupt; a time already past fires at once;
// all ones means never.
void vtimer_set(struct vhart *h, u64 when) {
  // BEGIN TASK lab5.3
  if (h->vcpu.ctl.henvcfg & HENVCFG_STCE) {
    h->vcpu.vs.vstimecmp = when;
    csr_write(vstimecmp, when);  // the hardware raises VSTIP from here
    return;
  }
  csr_clear(hvip, MIP_VSTIP);
  h->timer = when;
  if (when <= csr_read(time)) {  // guest time = host time (htimedelta 0)
    csr_set(hvip, MIP_VSTIP);
    h->timer = ~0UL;
  }
  host_timer_set(h->timer);
  // STUB: (void)h;
  // STUB: (void)when;
  // STUB: @TODO@;
  // END TASK
}

// QEMU 7.2 can lose the VS timer interrupt that vstimecmp raises: it
// keeps that one pending bit in a flag of its own, which it reads outside
// its lock when another thread updates the same hart's interrupts, and
// then cancels the hart's interrupt request. The guest is left waiting
// with vstimecmp in the past (seen about once in ten runs of sbitest on 4
// harts with the host loaded: sbitest's legacy_set_timer). So a deadline
// set through SBI also arms our own timer a little later, as a backstop:
// if the interrupt came, the guest's next set_timer moves it on before it
// fires, and no exit is added; if it was lost, the backstop's exit writes
// vstimecmp again, and QEMU, finding it due, raises the interrupt anew.
#define BACKSTOP_TICKS 100000UL  // 10 ms at virt's 10 MHz

static void backstop(u64 when) {
  host_timer_set(when >= ~0UL - BACKSTOP_TICKS ? ~0UL : when + BACKSTOP_TICKS);
}

void vtimer_sbi(struct vhart *h, u64 when) {
  vtimer_set(h, when);
  if (h->vcpu.ctl.henvcfg & HENVCFG_STCE)
    backstop(when);
}

// Our own timer fired while the guest ran (scause: supervisor timer
// interrupt): is the guest's deadline reached?
static int timer_exit(struct vcpu *v, struct vm_exit *e) {
  (void)e;
  struct vhart *h = vhart_of(v);
  if (v->ctl.henvcfg & HENVCFG_STCE) {  // Sstc: the backstop (above)
    csr_write(vstimecmp, csr_read(vstimecmp));
    host_timer_set(~0UL);
    if (host_input_poll)
      host_input_poll();
    return 0;
  }
  // BEGIN TASK lab5.4
  if (csr_read(time) >= h->timer) {
    csr_set(hvip, MIP_VSTIP);
    h->timer = ~0UL;
  }
  host_timer_set(h->timer);
  // STUB: (void)h;
  // STUB: @TODO@;
  // END TASK
  if (host_input_poll)
    host_input_poll();
  return 0;  // run the interrupted instruction
}

// The host's PLIC (QEMU virt), for one interrupt: the console's, so that
// a guest that waits for a key (wfi) wakes when one is typed. Context
// 2h + 1 is hart h's S-mode; only the boot hart takes it.
#define HOST_PLIC 0x0c000000UL
#define HOST_UART_IRQ 10
#define PLIC_REG(off) (*(volatile u32 *)(HOST_PLIC + (off)))
static long host_plic_ctx = -1;

static void host_console_irq_init(void) {
  host_plic_ctx = (long)(2 * boot_hartid + 1);
  PLIC_REG(4 * HOST_UART_IRQ) = 1;  // priority
  PLIC_REG(0x2000 + 0x80 * host_plic_ctx) |= 1U << HOST_UART_IRQ;
  PLIC_REG(0x200000 + 0x1000 * host_plic_ctx) = 0;  // threshold
  uart_rx_interrupt(1);
}

// Wait on this hart until an interrupt is pending that the guest enabled
// or that is ours (an IPI, our timer, a key typed on the boot hart), then
// let the console look for input. With Sstc the guest may be waiting for
// the interrupt of its own stimecmp, which QEMU 7.2 can lose (see
// vtimer_sbi): vstimecmp is written again first (if it is due, QEMU
// raises it now, and the wfi returns at once), and our timer ends the
// wait BACKSTOP_TICKS after it at the latest.
void host_wait(void) {
  struct vhart *h = vhart_self();
  int console = h == &vharts[0] && host_plic_ctx >= 0;
  if (h->vcpu.ctl.henvcfg & HENVCFG_STCE) {
    u64 cmp = csr_read(vstimecmp);
    csr_write(vstimecmp, cmp);
    backstop(cmp);
  }
  if (console)
    csr_set(sie, 1UL << IRQ_SEI);
  asm volatile("wfi");
  if (console) {
    csr_clear(sie, 1UL << IRQ_SEI);
    volatile u32 *claim =
        (volatile u32 *)(HOST_PLIC + 0x200004 + 0x1000 * host_plic_ctx);
    u32 irq = *claim;
    if (irq)
      *claim = irq;  // complete: a key still unread raises it again
  }
  if (host_input_poll)
    host_input_poll();
}

#define INSN_WFI 0x10500073

// A virtual-instruction exit: wfi, or something a guest without the H
// extension (and, with sstc=off, without Sstc) must see as illegal.
static int virtual_insn(struct vcpu *v, struct vm_exit *e) {
  u64 insn;
  int len;
  if (guest_read_insn(e->pc, &insn, &len) != 0)
    return vcpu_fail(v, "cannot read the instruction of a virtual-"
                        "instruction exit");
  if (insn == INSN_WFI) {
    host_wait();  // until an interrupt is pending (see above)
    return len;
  }
  // As on a CPU that lacks the instruction: the guest's own illegal-
  // instruction trap, with the instruction in stval.
  return guest_inject(v, EXC_ILLEGAL_INST, insn);
}

void vtimer_init(void) {
  host_console_irq_init();
  exits_register(SCAUSE_INTERRUPT | IRQ_STI, timer_exit);
  exits_register(EXC_VIRTUAL_INST, virtual_insn);
}
