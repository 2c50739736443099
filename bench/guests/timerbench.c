// Timer ticks: take TICKS timer interrupts, each programming the next
// one TICK_DELTA ticks of `time` later, then power off. Built for each
// way: SSTC=1 programs the guest's own stimecmp (the Sstc extension:
// under the hypervisor, vstimecmp, with no exit), SSTC=0 asks through SBI
// set_timer (an ecall, and the hypervisor may have to take the timer
// interrupt and inject it); WFI=1 waits for each tick with wfi (which the
// hypervisor may trap), WFI=0 spins. The host counts the hypervisor's
// exits for two values of TICKS and divides the difference: exits per
// tick. (Both values have as many digits, so the lines printed cost the
// same.)

#include "guest.h"

#ifndef TICKS
#error "build with -DTICKS=n"
#endif
#ifndef SSTC
#error "build with -DSSTC=0 or 1"
#endif
#ifndef WFI
#error "build with -DWFI=1 (wait for each tick with wfi) or 0 (spin)"
#endif
#define TICK_DELTA 10000  // 1 ms at virt's 10 MHz timebase
#define CSR_STIMECMP 0x14d
#define SIE_STIE (1UL << 5)
#define SSTATUS_SIE (1UL << 1)
#define IRQ_S_TIMER ((1UL << 63) | 5)

static volatile u64 ticks;

static void set_timer(u64 when) {
#if SSTC
  asm volatile("csrw %0, %1" : : "i"(CSR_STIMECMP), "r"(when));
#else
  sbi_call(SBI_EXT_TIME, 0, (long)when);
#endif
}

// stvec holds the address with its mode in bits 1:0: 4-byte aligned.
__attribute__((interrupt("supervisor"), aligned(4))) static void trap(void) {
  u64 cause;
  asm volatile("csrr %0, scause" : "=r"(cause));
  if (cause != IRQ_S_TIMER) {
    puts_("timerbench: unexpected trap, scause ");
    putnum(cause);
    puts_("\n");
    sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN);
  }
  if (++ticks < TICKS)
    set_timer(rdtime() + TICK_DELTA);
  else
    set_timer(~0UL);  // no more: all ones is never
}

void main(void) {
  asm volatile("csrw stvec, %0" : : "r"(trap));
  asm volatile("csrs sie, %0" : : "r"(SIE_STIE));
  set_timer(rdtime() + TICK_DELTA);
  asm volatile("csrs sstatus, %0" : : "r"(SSTATUS_SIE));
  while (ticks < TICKS)
    if (WFI)
      asm volatile("wfi");
  asm volatile("csrc sstatus, %0" : : "r"(SSTATUS_SIE));
  puts_("timerbench: ");
  putnum(ticks);
  puts_(SSTC ? " ticks through stimecmp\n" : " ticks through SBI set_timer\n");
  shutdown();
}
