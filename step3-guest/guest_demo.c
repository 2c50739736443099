// Stage 3: the demo guest (guest=demo), for watching exits in the monitor
// during a lecture (`make demo`). It never stops by itself: it goes round
// six phases of four seconds each, and announces each one on the console,
// so an instructor can point at the table while its mix changes. The
// first round is a quick tour, half a second a phase, so that every kind
// of exit is on the screen within seconds.
//
//   1 console      legacy putchar, a character per exit, slowly
//   2 SBI calls    BASE, TIME, an unknown extension, hvlab NOP: flat out
//   3 breakpoints  ebreak and c.ebreak, a few a second
//   4 wfi          waiting for interrupts (hstatus.VTW makes each an exit)
//   5 privileged   an illegal instruction, and an H CSR read from VS-mode
//   6 everything   all of the above, interleaved
//
// Phases 4 and 5 need the demo's exit handlers (demo_exits.c), which skip
// those instructions instead of stopping the guest as stage 3 does.
// (Stages 4 and 5 will add guest-page faults and MMIO to the round.)

#include "guest.h"

#define TIMEBASE 10000000UL  // QEMU virt: `time` counts at 10 MHz
#define PHASE_SECONDS 4

static u64 now(void) {
  u64 t;
  asm volatile("rdtime %0" : "=r"(t));  // hcounteren.TM: no exit
  return t;
}

// Spin for us microseconds: time passes without exits.
static void spin_us(u64 us) {
  u64 until = now() + us * (TIMEBASE / 1000000);
  while (now() < until)
    ;
}

static void sbi_calls(void) {
  gcall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0);
  gcall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, SBI_EXT_SRST, 0);
  gcall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0);
  gcall(SBI_EXT_TIME, 0, now() + TIMEBASE, 0);  // not in stage 3: an error
  gcall(0x12345678, 0, 0, 0);                   // no such extension
  for (int i = 0; i < 5; i++)
    gcall(SBI_EXT_HVLAB, HVLAB_NOP, 0, 0);
}

static void breakpoints(void) {
  asm volatile(".option push\n.option norvc\nebreak\n.option pop");
  asm volatile(".option push\n.option rvc\nc.ebreak\n.option pop");
  guest_exits += 2;
}

static void wfi(void) {
  asm volatile("wfi");  // with hstatus.VTW: an exit
  guest_exits++;
}

static void privileged(void) {
  u64 x;
  asm volatile("unimp");                     // illegal instruction
  asm volatile("csrr %0, hgatp" : "=r"(x));  // virtual instruction
  (void)x;
  guest_exits += 2;
}

static const char *const phase_name[] = {
    "console: legacy putchar, one exit per character",
    "SBI calls: BASE, TIME, an unknown extension, hvlab NOP",
    "breakpoints: ebreak and c.ebreak",
    "wfi: each one an exit (hstatus.VTW)",
    "privileged: an illegal instruction, csrr hgatp from VS-mode",
    "everything at once",
};

void guest_demo(void) {
  gputs("demo: a guest that runs until you quit (q in the monitor)\n");
  for (long round = 1;; round++) {
    for (int p = 0; p < 6; p++) {
      gputs("demo: round ");
      gputdec(round);
      gputs(", phase ");
      gputdec(p + 1);
      gputs(": ");
      gputs(phase_name[p]);
      gputs("\n");
      u64 end = now() + (round == 1 ? TIMEBASE / 2 : PHASE_SECONDS * TIMEBASE);
      while (now() < end) {
        switch (p) {
        case 0:
          gputs("the quick brown fox jumps over the lazy dog\n");
          spin_us(200000);
          break;
        case 1: sbi_calls(); break;
        case 2:
          breakpoints();
          spin_us(250000);
          break;
        case 3:
          wfi();
          spin_us(100);
          break;
        case 4:
          privileged();
          spin_us(200);
          break;
        default:
          sbi_calls();
          wfi();
          privileged();
          if ((now() / (TIMEBASE / 2)) % 2 == 0) {
            breakpoints();
            spin_us(500000);
          }
          spin_us(50);
        }
      }
    }
  }
}
