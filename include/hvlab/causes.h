// The names of scause values: one table for the hypervisor's dumps and
// logs, the grader's verdicts and the monitor's screen.
//
// Shared interface, included by freestanding and hosted code alike: it
// needs nothing but the compiler. Each cause has the privileged spec's name
// (table 8.6: "load guest-page fault") and a brief one for narrow columns
// ("load guest-pf"). A cause that has no name is "reserved".
#pragma once

#include "csr.h"

struct hv_cause_name {
  const char *name;   // the spec's words
  const char *brief;  // for narrow columns
};

// The name of scause value `cause`, or NULL for a reserved one.
static inline const struct hv_cause_name *hv_cause(__UINT64_TYPE__ cause) {
  static const struct hv_cause_name exc[NR_EXC] = {
      [EXC_INST_MISALIGNED] = {"instruction address misaligned",
                               "insn misaligned"},
      [EXC_INST_ACCESS] = {"instruction access fault", "insn access"},
      [EXC_ILLEGAL_INST] = {"illegal instruction", "illegal insn"},
      [EXC_BREAKPOINT] = {"breakpoint", "breakpoint"},
      [EXC_LOAD_MISALIGNED] = {"load address misaligned", "load misaligned"},
      [EXC_LOAD_ACCESS] = {"load access fault", "load access"},
      [EXC_STORE_MISALIGNED] = {"store address misaligned", "store misalign"},
      [EXC_STORE_ACCESS] = {"store access fault", "store access"},
      [EXC_ECALL_U] = {"ecall from U/VU-mode", "ecall U/VU"},
      [EXC_ECALL_HS] = {"ecall from HS-mode", "ecall HS"},
      [EXC_ECALL_VS] = {"ecall from VS-mode", "ecall VS"},
      [EXC_ECALL_M] = {"ecall from M-mode", "ecall M"},
      [EXC_INST_PAGE_FAULT] = {"instruction page fault", "insn page fault"},
      [EXC_LOAD_PAGE_FAULT] = {"load page fault", "load page fault"},
      [EXC_STORE_PAGE_FAULT] = {"store page fault", "store page flt"},
      [EXC_INST_GUEST_PAGE_FAULT] = {"instruction guest-page fault",
                                     "insn guest-pf"},
      [EXC_LOAD_GUEST_PAGE_FAULT] = {"load guest-page fault", "load guest-pf"},
      [EXC_VIRTUAL_INST] = {"virtual instruction", "virtual insn"},
      [EXC_STORE_GUEST_PAGE_FAULT] = {"store guest-page fault",
                                      "store guest-pf"},
  };
  static const struct hv_cause_name irq[NR_IRQ] = {
      [IRQ_SSI] = {"supervisor software interrupt", "irq S soft"},
      [IRQ_VSSI] = {"virtual supervisor software interrupt", "irq VS soft"},
      [IRQ_STI] = {"supervisor timer interrupt", "irq S timer"},
      [IRQ_VSTI] = {"virtual supervisor timer interrupt", "irq VS timer"},
      [IRQ_SEI] = {"supervisor external interrupt", "irq S ext"},
      [IRQ_VSEI] = {"virtual supervisor external interrupt", "irq VS ext"},
      [IRQ_SGEI] = {"supervisor guest external interrupt", "irq SG ext"},
  };
  __UINT64_TYPE__ code = cause & ~SCAUSE_INTERRUPT;
  const struct hv_cause_name *n;
  if (cause & SCAUSE_INTERRUPT)
    n = code < NR_IRQ ? &irq[code] : 0;
  else
    n = code < NR_EXC ? &exc[code] : 0;
  return n && n->name ? n : 0;
}

static inline const char *hv_cause_name(__UINT64_TYPE__ cause) {
  const struct hv_cause_name *n = hv_cause(cause);
  return n ? n->name : "reserved";
}

static inline const char *hv_cause_brief(__UINT64_TYPE__ cause) {
  const struct hv_cause_name *n = hv_cause(cause);
  return n ? n->brief : "reserved";
}
