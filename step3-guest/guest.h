// Stage 3: what the C guests have instead of a C library. They run in
// VS-mode and reach the outside world only through hypercalls.
#pragma once

// (Only numbers up here: guest_asm.S includes this file too.)
#define GUEST_STACK_SIZE 16384
#define GUEST_GUARD_SIZE 16384  // an overflow this deep is caught whole

#ifndef __ASSEMBLER__
#include "sbi.h"
#include "types.h"

extern long guest_exits;  // exits this guest has caused, by its own count

// A hypercall: ecall with a7 = extension, a6 = function (sbi.h).
static inline struct sbiret gcall(u64 eid, u64 fid, u64 arg0, u64 arg1) {
  register u64 a0 asm("a0") = arg0;
  register u64 a1 asm("a1") = arg1;
  register u64 a6 asm("a6") = fid;
  register u64 a7 asm("a7") = eid;
  asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
  guest_exits++;
  return (struct sbiret){(i64)a0, (i64)a1};
}

void gputs(const char *s);
void gputdec(long v);
void gputhex(u64 v);
int gtest(const char *name, int ok);  // report a test; returns ok
void gshutdown(int failed) __attribute__((noreturn));

// The C guests' stack (guest_asm.S); it grows down from the end, above a
// guard that the hypervisor checks when a guest stops (stack.h).
extern char guest_stack[GUEST_STACK_SIZE];
extern char guest_stack_guard[GUEST_GUARD_SIZE];

// The guests (entry points for vcpu_init).
void guest_seed(void);                           // guest_seed.S
void guest_fault(void);                          // guest_asm.S
void guest_wfi(void);                            // guest_asm.S
void guest_hello(void);                          // guest_hello.c
void guest_bench(long hartid, long iterations);  // guest_bench.c
void guest_demo(void);                           // guest_demo.c
// The demo guest's exit handlers (demo_exits.c: hypervisor side).
void demo_exits_init(void);

// guest=hostile hostile=NAME: guests that misbehave on purpose, one kind
// each (guest_hostile.c), for the tests of what stage 3 does about them.
struct hostile_guest {
  const char *name;  // first: the boot-argument table reads it (bootargs.h)
  void (*entry)(void);
  const char *what;  // what it does, printed when it starts
};
extern const struct hostile_guest hostile_guests[];  // ends with a NULL name
#endif
