// The cost of an emulated device register: N byte stores to the 16550's
// scratch register (offset 7 on virt's UART at 0x10000000), between two
// reads of instret, minus the same loop without the store. Natively each
// store is one instruction; under stage 5 each is a guest-page fault that
// the hypervisor decodes and emulates, and instret counts its
// instructions too. Prints the two counts; bench/bench_devices.c divides.

#include "guest.h"

#define UART 0x10000000UL
#define SCR 7
#define N 1000

void main(void) {
  volatile unsigned char *scr = (volatile unsigned char *)(UART + SCR);
  *scr = 0x5a;  // the first access: whatever is done once is done now
  u64 t0, t1, t2, t3, n = N, v = 0;
  // The loops in asm, so the compiler adds and moves nothing: the two
  // differ by the store alone.
  asm volatile("csrr %0, instret\n"
               "1: sb %3, 0(%4)\n"
               "addi %3, %3, 1\n"
               "addi %2, %2, -1\n"
               "bnez %2, 1b\n"
               "csrr %1, instret\n"
               : "=&r"(t0), "=&r"(t1), "+r"(n), "+r"(v)
               : "r"(scr)
               : "memory");
  n = N;
  asm volatile("csrr %0, instret\n"
               "1: addi %3, %3, 1\n"
               "addi %2, %2, -1\n"
               "bnez %2, 1b\n"
               "csrr %1, instret\n"
               : "=&r"(t2), "=&r"(t3), "+r"(n), "+r"(v)
               : "r"(scr)
               : "memory");
  unsigned char last = *scr;
  puts_("uartbench: ");
  putnum(N);
  puts_(" writes: ");
  putnum(t1 - t0);
  puts_(" instructions, empty loop ");
  putnum(t3 - t2);
  puts_(", scratch reads back ");
  putnum(last);
  puts_(" (wrote ");
  putnum((N - 1) & 0xff);
  puts_(")\n");
  shutdown();
}
