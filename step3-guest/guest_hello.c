// Stage 3, guest (b): a guest written in C, with its own stack. It greets,
// then checks the hypervisor from the inside: SBI answers, register
// preservation, instruction lengths, and the exit count. Each check is
// reported with HVLAB_TEST, and the guest shuts down through SRST.

#include "guest.h"
#include "hvlab/regs.h"

struct regtest {
  u64 expect[32];
  u64 got[32];
  u64 saved[16];
};
void guest_regs_run(struct regtest *t, long mode);  // guest_asm.S

static struct regtest rt;

// Fill every register with a distinct value, exit once, compare all 31.
static int regs_survive(long mode) {
  for (int i = 1; i < 32; i++)
    rt.expect[i] = 0x5a00000000000000UL | ((u64)i << 40) | (u64)i * 0x01010101;
  rt.expect[31] = (u64)&rt;  // t6 holds the struct's address throughout
  if (mode) {                // a null hypercall: it answers in a0 and a1
    rt.expect[17] = SBI_EXT_HVLAB;
    rt.expect[16] = HVLAB_NOP;
  }
  guest_regs_run(&rt, mode);
  guest_exits++;
  int bad = 0;
  for (int i = 1; i < 32; i++) {
    u64 want = rt.expect[i];
    if (mode && (i == 10 || i == 11))
      want = 0;  // SBI_SUCCESS, value 0
    if (rt.got[i] != want) {
      gputs("  register ");
      gputs(hv_xreg_name(i));
      gputs(" came back as ");
      gputhex(rt.got[i]);
      gputs(", expected ");
      gputhex(want);
      gputs("\n");
      bad++;
    }
  }
  return bad == 0;
}

// The hypervisor must skip a c.ebreak by 2 bytes and an ebreak by 4: if it
// always added 4, the c.li right after the c.ebreak would be skipped too.
// (".option norvc" stops the assembler from quietly compressing the ebreak.)
static int ebreak_lengths(void) {
  long x, y;
  asm volatile(".option push\n.option rvc\n"
               "li %0, 0\n c.ebreak\n c.li %0, 1\n"
               "li %1, 0\n .option norvc\n ebreak\n .option rvc\n c.li %1, 1\n"
               ".option pop"
               : "=&r"(x), "=&r"(y));
  guest_exits += 2;
  return x == 1 && y == 1;
}

void guest_hello(void) {
  int failed = 0;
  gputs("hello from a C guest, running in VS-mode with its own stack\n");

  struct sbiret r = gcall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0);
  failed += !gtest("SBI BASE reports spec version 1.0",
                   r.error == 0 && r.value == 1L << 24);
  r = gcall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, SBI_EXT_SRST, 0);
  failed += !gtest("SBI BASE probe finds SRST", r.error == 0 && r.value == 1);
  r = gcall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, 0x12345678, 0);
  failed += !gtest("SBI BASE probe: no extension 0x12345678",
                   r.error == 0 && r.value == 0);
  r = gcall(0x12345678, 0, 0, 0);
  failed += !gtest("unknown extension gets SBI_ERR_NOT_SUPPORTED",
                   r.error == SBI_ERR_NOT_SUPPORTED);
  r = gcall(SBI_EXT_BASE, 99, 0, 0);
  failed += !gtest("unknown BASE function gets SBI_ERR_NOT_SUPPORTED",
                   r.error == SBI_ERR_NOT_SUPPORTED);

  failed += !gtest("all 31 registers survive an ebreak exit", regs_survive(0));
  failed += !gtest("all 31 registers survive a hypercall", regs_survive(1));
  failed += !gtest("sepc advances by the instruction length (2 and 4)",
                   ebreak_lengths());

  // Ask the hypervisor to compare its exit trace with our own count.
  // (Printing the test name costs exits too: one per character.)
  long counted = guest_exits;
  r = gcall(SBI_EXT_HVLAB, HVLAB_COUNT, (u64)counted, 0);
  failed += !gtest("the exit trace counted every exit", r.error == 0);

  gputs("C guest done: ");
  gputdec(failed);
  gputs(" failed\n");
  gshutdown(failed);
}
