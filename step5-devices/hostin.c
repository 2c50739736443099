// Stage 5: typed input as an interrupt -- the host's UART and PLIC.
//
// The guest's UART (vuart.c) takes what is typed from the host console,
// QEMU's real 16550. A guest that polls its UART (U-Boot) makes us look
// every time it reads LSR. A guest that waits for the receive interrupt in
// wfi (an idle kernel) does not: the hart that runs it sleeps in wfi too,
// and without an interrupt for "a key was typed" it would only wake for
// the next timer or IPI -- for a guest with no timer set, never.
//
// So the host UART interrupts when it has input: its receive interrupt
// (IER bit 0) goes through the host's PLIC (QEMU virt's: source 10, the
// boot hart's S-mode context 2h+1) to the boot hart as a supervisor
// external interrupt. That wakes the wfi, and while a guest runs it is an
// exit (scause: interrupt 9; our hideleg delegates only the VS bits),
// whose handler claims it, moves the input into the guest's UART and
// completes it.
//
// While the guest's FIFO is full the host's bytes must wait where they
// are; their interrupt would otherwise come back at once, for ever, and
// the guest would never run to read its FIFO. vuart.c turns it off then
// (hostin_enable(0)) and on again once the host has nothing left.

#include "hostin.h"
#include "defs.h"
#include "hvlab/csr.h"
#include "memlayout.h"
#include "riscv.h"
#include "run.h"
#include "vuart.h"

#define HOST_PLIC 0x0c000000UL
#define HOST_UART_IRQ 10
#define HOST_UART_IER 1  // the 16550's interrupt enable register
#define IER_RDI 0x01     // interrupt when received data is available

static u64 host_ctx;  // the boot hart's S-mode context in the host PLIC
static int on = -1;   // what IER was last set to (-1: not yet)

static volatile u32 *plic_reg(u64 off) {
  return (volatile u32 *)(HOST_PLIC + off);
}
#define PLIC_PRIORITY(id) (4UL * (id))
#define PLIC_ENABLE(ctx)                                                       \
  (0x2000UL + 0x80UL * (ctx) + 4UL * (HOST_UART_IRQ / 32))
#define PLIC_THRESHOLD(ctx) (0x200000UL + 0x1000UL * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)

void hostin_enable(int enable) {
  if (enable == on)
    return;
  on = enable;
  ((volatile u8 *)UART0)[HOST_UART_IER] = enable ? IER_RDI : 0;
}

// The exit for the host's external interrupt (only the boot hart enables
// it): claim, serve, complete.
static int hostin_exit(struct vcpu *v, struct vm_exit *e) {
  (void)v, (void)e;
  u32 id = *plic_reg(PLIC_CLAIM(host_ctx));
  if (id == HOST_UART_IRQ)
    vuart_poll();
  if (id)
    *plic_reg(PLIC_CLAIM(host_ctx)) = id;
  return 0;  // run the interrupted instruction
}

void hostin_init(void) {
  host_ctx = 2 * boot_hartid + 1;
  *plic_reg(PLIC_PRIORITY(HOST_UART_IRQ)) = 1;
  *plic_reg(PLIC_THRESHOLD(host_ctx)) = 0;
  *plic_reg(PLIC_ENABLE(host_ctx)) |= 1u << HOST_UART_IRQ % 32;
  exits_register(SCAUSE_INTERRUPT | IRQ_SEI, hostin_exit);
  csr_set(sie, 1UL << IRQ_SEI);  // wakes wfi; in HS-mode sstatus.SIE stays 0
  hostin_enable(1);
}
