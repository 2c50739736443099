// What the bench guests share: SBI calls, printing through the legacy
// console (natively OpenSBI answers it, under stage 5 the hypervisor),
// the counters, and the power-off. Header-only: each guest is one C file.
#pragma once

#include "hvlab/sbi_ids.h"

typedef unsigned long u64;

static inline long sbi_call(long eid, long fid, long a0) {
  register long r0 asm("a0") = a0;
  register long r1 asm("a1") = 0;
  register long r6 asm("a6") = fid;
  register long r7 asm("a7") = eid;
  asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r6), "r"(r7) : "memory");
  return r0;
}

static inline void puts_(const char *s) {
  for (; *s; s++)
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, *s);
}

static inline void putnum(u64 v) {
  char b[24];
  int n = 0;
  do
    b[n++] = (char)('0' + v % 10);
  while (v /= 10);
  while (n)
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, b[--n]);
}

// With QEMU's -icount shift=0 every instruction is one tick: instret
// counts the instructions of every privilege level, the hypervisor's too.
static inline u64 rdinstret(void) {
  u64 v;
  asm volatile("csrr %0, instret" : "=r"(v));
  return v;
}

static inline u64 rdtime(void) {
  u64 v;
  asm volatile("csrr %0, time" : "=r"(v));
  return v;
}

static inline __attribute__((noreturn)) void shutdown(void) {
  sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN);
  for (;;)
    asm volatile("wfi");
}
