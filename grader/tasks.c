// The tasks of stages 1-5 and the files students own (see tasks.h).
// Every stage 4 and stage 5 test also runs the code of the stage 1-3
// tasks that list "step4:*" and "step5:*" below (not BASE, ebreak or
// unhandled exits: their guests make none of those), and every stage 5
// test the G-stage of stage 4.

#include "tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Each stage's tests are gated on its hardware evidence (grade.h), so a
// task that breaks the evidence test fails every test of its stage.
// The stage 3 tests that need the guest to make an exit: all but
// guest_runs_gdb, which stops at the guest's first instruction.
#define EXITS3                                                                 \
  "step3:grader_guest_gdb", "step3:seed_hypercalls", "step3:guest_tests",      \
      "step3:sbi_not_supported", "step3:regs_survive", "step3:sepc_advance",   \
      "step3:unhandled_exit", "step3:wfi_is_an_exit", "step3:first_exit_gdb",  \
      "step3:trace_seed_gdb", "step3:trace_console_gdb"
// The tests that run the C guest (guest=hello, or the default list), and
// the grader's guest's full run, which makes SBI calls and ebreaks.
#define HELLO                                                                  \
  "step3:grader_guest_gdb", "step3:guest_tests", "step3:sbi_not_supported",    \
      "step3:regs_survive", "step3:sepc_advance", "step3:trace_console_gdb"
// The stage 4 tests whose guests make guest-page faults (the default run
// makes several; the paging guest makes none).
#define FAULTS4                                                                \
  "step4:fault_beyond_ram", "step4:fault_rom", "step4:fault_load_fetch",       \
      "step4:fault_implicit", "step4:isolation_checksum", "step4:mmio_device", \
      "step4:ram_on_demand"

const struct gtask grade_tasks[] = {
    // ---- Stage 1 ----------------------------------------------------------
    {"lab1.1",
     "find the H extension by trying it",
     6,
     "labs/step1-vmxon.md",
     {"step1:*", "step2:*", "step3:*", "step4:*", "step5:*"}},
    {"lab1.2",
     "measure what this H supports",
     4,
     "labs/step1-vmxon.md",
     {"step1:*", "step2:*", "step3:*", "step4:*", "step5:*"}},
    {"lab1.3",
     "delegate to the guest what it can handle",
     10,
     "labs/step1-vmxon.md",
     {"step1:*", "step2:*", "step3:*", "step4:*", "step5:*"}},
    // ---- Stage 2 ----------------------------------------------------------
    {"lab2.1",
     "a fresh vCPU enters VS-mode",
     4,
     "labs/step2-vmcs.md",
     {"step2:*", "step3:*", "step4:*", "step5:*"}},
    {"lab2.2",
     "load a vCPU into the CSRs",
     8,
     "labs/step2-vmcs.md",
     {"step2:*", "step3:*", "step4:*", "step5:*"}},
    {"lab2.3",
     "save the CSRs into a vCPU",
     8,
     "labs/step2-vmcs.md",
     {"step2:*", EXITS3, "step4:*", "step5:*"}},
    // ---- Stage 3 ----------------------------------------------------------
    {"lab3.1",
     "enter VS-mode: SPP before the first sret",
     8,
     "labs/step3-guest.md",
     {"step3:*", "step4:*", "step5:*"}},
    {"lab3.2",
     "save the guest's registers at an exit",
     14,
     "labs/step3-guest.md",
     {EXITS3, "step4:*", "step5:*"}},
    {"lab3.3",
     "count the exit and dispatch it by table",
     12,
     "labs/step3-guest.md",
     {EXITS3, "step4:*", "step5:*"}},
    {"lab3.4",
     "answer the SBI BASE extension",
     10,
     "labs/step3-guest.md",
     {HELLO}},
    {"lab3.5",
     "step over an ebreak of either length",
     10,
     "labs/step3-guest.md",
     {HELLO}},
    {"lab3.6",
     "stop a guest whose exit nobody handles",
     6,
     "labs/step3-guest.md",
     {"step3:unhandled_exit", "step3:wfi_is_an_exit"}},
    // ---- Stage 4 ----------------------------------------------------------
    // The first three build the G-stage table before any guest runs.
    {"lab4.1",
     "set hgatp: Sv39x4, a VMID and the root",
     8,
     "labs/step4-mem.md",
     {"step4:*", "step5:*"}},
    {"lab4.2",
     "a G-stage leaf: PPN, RWX and U",
     10,
     "labs/step4-mem.md",
     {"step4:*", "step5:*"}},
    {"lab4.3",
     "walk down the Sv39x4 table, making tables",
     26,
     "labs/step4-mem.md",
     {"step4:*", "step5:*"}},
    {"lab4.4",
     "decode a guest-page fault: GPA, GVA, access",
     14,
     "labs/step4-mem.md",
     {FAULTS4, "step5:*"}},
    {"lab4.5",
     "map a guest RAM page on first touch",
     12,
     "labs/step4-mem.md",
     {"step4:ram_on_demand"}},
    // ---- Stage 5 ----------------------------------------------------------
    // The grader's guest starts its second hart, sends IPIs, sets the
    // timer through SBI, uses the UART (an emulated device: lab4.4's
    // decode of the fault, then lab5.1's) and claims the UART's interrupt
    // from the PLIC (lab5.2) in every stage 5 test; only
    // timer_sbi_gdb hides Sstc (sstc=off), so only there does the
    // hypervisor's own timer stand in for the guest's. uboot_console_gdb
    // boots U-Boot on one hart, whose console is the emulated UART: lab5.1
    // carries its points.
    {"lab5.1",
     "decode and emulate a device access",
     26,
     "labs/step5-devices.md",
     {"step5:*"}},
    {"lab5.2",
     "PLIC claim and complete",
     10,
     "labs/step5-devices.md",
     {"step5:*"}},
    {"lab5.3",
     "SBI set_timer: the guest's next tick",
     16,
     "labs/step5-devices.md",
     {"step5:*"}},
    {"lab5.4",
     "our timer fired: the guest's timer interrupt",
     12,
     "labs/step5-devices.md",
     {"step5:timer_sbi_gdb"}},
    {"lab5.5",
     "send IPIs: VS software interrupts",
     16,
     "labs/step5-devices.md",
     {"step5:*"}},
    {"lab5.6",
     "HSM hart_start: start a stopped hart",
     20,
     "labs/step5-devices.md",
     {"step5:*"}},
};
const int grade_ntasks = (int)(sizeof grade_tasks / sizeof grade_tasks[0]);

// The runtime is linked into every stage, so it is the first stage's.
const struct gowned grade_owned[] = {
    {1, "runtime"},     {1, "step1-vmxon"}, {2, "step2-vmcs"},
    {3, "step3-guest"}, {4, "step4-mem"},   {5, "step5-devices"},
};
const int grade_nowned = (int)(sizeof grade_owned / sizeof grade_owned[0]);

const struct gtask *task_find(const char *id) {
  for (int i = 0; i < grade_ntasks; i++)
    if (strcmp(grade_tasks[i].id, id) == 0)
      return &grade_tasks[i];
  return NULL;
}

int task_stage(const struct gtask *t) {
  if (strncmp(t->id, "lab", 3) != 0)
    return 0;
  return atoi(t->id + 3);
}

int task_covers(const struct gtask *t, int stage, const char *name) {
  char full[128], all[16];
  snprintf(full, sizeof full, "step%d:%s", stage, name);
  snprintf(all, sizeof all, "step%d:*", stage);
  for (int i = 0; i < 24 && t->tests[i]; i++)
    if (strcmp(t->tests[i], full) == 0 || strcmp(t->tests[i], all) == 0)
      return 1;
  return 0;
}

int path_owned(const char *path, int upto) {
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  for (int i = 0; i < grade_nowned; i++) {
    const struct gowned *o = &grade_owned[i];
    size_t n = strlen(o->path);
    if (o->stage <= upto && strncmp(path, o->path, n) == 0 &&
        (path[n] == 0 || path[n] == '/'))
      return 1;
  }
  return 0;
}
