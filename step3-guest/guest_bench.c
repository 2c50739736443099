// Stage 3: the benchmark guest (guest=bench). It makes `iterations` null
// hypercalls in a tight loop and reads the instret counter around them.
// Under QEMU with -icount shift=0, instret counts executed instructions
// exactly, in every mode, so the difference divided by the iterations is
// the cost of one round trip: guest ecall -> hypervisor -> back, plus the
// guest's own two loop instructions.

#include "guest.h"

void guest_bench(long hartid, long iterations) {
  (void)hartid;
  u64 t0, t1;
  register long n asm("s1") = iterations;
  register u64 a7 asm("a7") = SBI_EXT_HVLAB;
  register u64 a6 asm("a6") = HVLAB_NOP;
  asm volatile("rdinstret %0\n"
               "1: ecall\n"
               "   addi %2, %2, -1\n"
               "   bnez %2, 1b\n"
               "rdinstret %1\n"
               : "=&r"(t0), "=&r"(t1), "+r"(n)
               : "r"(a7), "r"(a6)
               : "a0", "a1", "memory");
  u64 insns = t1 - t0 - 1;  // minus the first rdinstret itself
  gputs("bench: ");
  gputdec(iterations);
  gputs(" null hypercalls, ");
  gputdec((long)insns);
  gputs(" instructions, ");
  gputdec((long)(insns / (u64)iterations));
  gputs(".");
  u64 frac = (insns % (u64)iterations) * 100 / (u64)iterations;
  gputs(frac < 10 ? "0" : "");
  gputdec((long)frac);
  gputs(" per round trip\n");
  gputs("(exact only under QEMU -icount shift=0, as make bench runs it;\n"
        " otherwise instret follows the host's clock)\n");
  gshutdown(0);
}
