// Calling the SBI firmware (OpenSBI) from HS-mode. See sbi.h.

#include "sbi.h"

struct sbiret sbi_call(u64 eid, u64 fid, u64 arg0, u64 arg1, u64 arg2) {
  register u64 a0 asm("a0") = arg0;
  register u64 a1 asm("a1") = arg1;
  register u64 a2 asm("a2") = arg2;
  register u64 a6 asm("a6") = fid;
  register u64 a7 asm("a7") = eid;
  asm volatile("ecall"
               : "+r"(a0), "+r"(a1)
               : "r"(a2), "r"(a6), "r"(a7)
               : "memory");
  return (struct sbiret){(i64)a0, (i64)a1};
}
