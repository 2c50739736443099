// Stage 5's tests: several vCPUs, the guest's timer and interrupts, its
// own traps, and SRST -- with the grader's own guest (grader/guests/g5.S),
// a small kernel for two harts that comes in as a guest package written
// for each run (guestpkg.c), with a nonce only this run knows.
//
// The verdicts rest on the hardware, read through the gdbstub where the
// guest stands: its registers at its secondary hart's first instruction,
// the live trap CSRs (scause, sepc, stval: the guest's own while V=1) at
// each of its trap vectors, QEMU's V bit of the hart that stopped, and
// the results it wrote, read through the G-stage at its last instruction.
// Console lines only corroborate.

#include <stdio.h>
#include <string.h>

#include "grade.h"
#include "hvlab/causes.h"
#include "hvlab/sbi_ids.h"

#define G5 "g5"
#define IRQ(n) (1UL << 63 | (n))
#define CAUSE_SSI IRQ(1)  // supervisor software interrupt (an IPI)
#define CAUSE_STI IRQ(5)  // supervisor timer interrupt
#define CAUSE_SEI IRQ(9)  // supervisor external interrupt
#define UART_IRQ 10       // virt's UART's PLIC source
#define CAUSE_ILLEGAL 2
#define CAUSE_LOAD_ACCESS 5
#define OPAQUE_KEY 0x5ca1ab1e0ddba11UL  // g5.S's
#define NO_DEVICE 0x10008000UL          // g5.S's load with no device there

// g5.S's g_result, slot by slot.
enum {
  R_START,
  R_START2,
  R_START_BAD,
  R_STATUS,
  R_H1_A0,
  R_H1_A1,
  R_H1_CAUSE,
  R_H0_CAUSE,
  R_IPI_SEND,
  R_H1_SEND,
  R_TIMER,
  R_LATE,
  R_SSTC,
  R_FAULT,
  R_FAULT_TVAL,
  R_FAULT_EPC,
  R_ILL,
  R_ILL_EPC,
  R_STOPPED,
  R_NONCE,
  R_FLAGS_H1_UP,  // (g5.S's flags, then R_UART and the PLIC phase)
  R_FLAGS_H1_IPI,
  R_FLAGS_H0_IPI,
  R_FLAGS_TIMER,
  R_FLAGS_SSTC,
  R_UART,
  R_EXT,
  R_CLAIM1,
  R_CLAIM2,
  R_CLAIM3,
  R_CLAIM4,
  R_FLAGS_EXT,
  R_NSLOTS
};

static uint64_t nonce_of(struct probe *pr) {
  return probe_saved(pr)[SAVED_NONCE];
}

// Stop at the guest's label sym; its address in *at if at is not NULL.
static int stop_at(struct probe *pr, const char *sym, uint64_t *at) {
  uint64_t a;
  char what[96];
  snprintf(what, sizeof what, "the grader's guest's %s", sym);
  if (probe_guest_sym(pr, sym, &a) < 0 || probe_stop_addr(pr, a, what) < 0)
    return -1;
  if (at)
    *at = a;
  return 0;
}

// The hart that stopped (at the guest's label `where`) runs virtualized.
static int check_v(struct probe *pr, const char *where) {
  uint64_t v;
  if (probe_hart_stopped(pr, "V", &v) < 0)
    return -1;
  probe_check(pr, v == 1, "at %s the hart has V = %lu; expected 1 (VS-mode)",
              where, (unsigned long)v);
  return 0;
}

// At g_done (hart 0's last instruction before SRST): what the guest
// recorded, read through the G-stage.
static int results(struct probe *pr, uint64_t r[R_NSLOTS]) {
  uint64_t at;
  if (stop_at(pr, "g_done", NULL) < 0 || check_v(pr, "g_done") < 0 ||
      probe_guest_sym(pr, "g_result", &at) < 0 ||
      probe_mem(pr, at, r, R_NSLOTS * sizeof r[0]) < 0)
    return -1;
  if (!probe_check(pr, r[R_NONCE] == nonce_of(pr),
                   "the guest's memory holds nonce %#lx; this run's is %#lx: "
                   "is it the grader's guest that runs, from its package?",
                   (unsigned long)r[R_NONCE], (unsigned long)nonce_of(pr)))
    return -1;
  return 0;
}

// A trap the guest took at its own vector sym: the guest's live scause
// (V=1 shows the guest's CSRs under the S-mode names), and sepc, stval.
static int trap_at(struct probe *pr, const char *sym, uint64_t *cause,
                   uint64_t *epc, uint64_t *tval) {
  if (stop_at(pr, sym, NULL) < 0 || check_v(pr, sym) < 0 ||
      probe_reg(pr, "scause", cause) < 0 || probe_reg(pr, "sepc", epc) < 0 ||
      probe_reg(pr, "stval", tval) < 0)
    return -1;
  probe_note(pr, "at %s: scause %#lx, sepc %#lx, stval %#lx", sym,
             (unsigned long)*cause, (unsigned long)*epc, (unsigned long)*tval);
  return 0;
}

// Is pc in the guest between labels lo and hi (a wait loop)?
static int between(struct probe *pr, uint64_t pc, const char *lo,
                   const char *hi, int *in) {
  uint64_t a, b;
  if (probe_guest_sym(pr, lo, &a) < 0 || probe_guest_sym(pr, hi, &b) < 0)
    return -1;
  *in = pc >= a && pc < b;
  return 0;
}

// gdb: hart 1 starts where hart_start said, with a0 = its hart id and a1
// = the opaque value (made from the nonce); and the HSM answers.
static void hsm_start(struct probe *pr) {
  uint64_t x[32], r[R_NSLOTS];
  uint64_t opaque = nonce_of(pr) ^ OPAQUE_KEY;
  if (stop_at(pr, "g_secondary", NULL) < 0 || probe_gregs(pr, x) < 0)
    return;
  probe_check(pr, x[10] == 1 && x[11] == opaque,
              "at hart 1's first instruction a0 = %#lx, a1 = %#lx; expected "
              "1 (its hart id) and %#lx (the opaque value hart_start gave)",
              (unsigned long)x[10], (unsigned long)x[11],
              (unsigned long)opaque);
  if (check_v(pr, "g_secondary") < 0 || results(pr, r) < 0)
    return;
  probe_check(pr, r[R_START] == 0,
              "hart_start(1) answered %ld; expected 0 (SBI_SUCCESS)",
              (long)r[R_START]);
  probe_check(pr, (long)r[R_START2] == SBI_ERR_ALREADY_AVAILABLE,
              "hart_start(1) a second time answered %ld; expected %d "
              "(SBI_ERR_ALREADY_AVAILABLE)",
              (long)r[R_START2], SBI_ERR_ALREADY_AVAILABLE);
  probe_check(pr, (long)r[R_START_BAD] == SBI_ERR_INVALID_PARAM,
              "hart_start(9) on a 2-hart guest answered %ld; expected %d "
              "(SBI_ERR_INVALID_PARAM)",
              (long)r[R_START_BAD], SBI_ERR_INVALID_PARAM);
  probe_check(pr, r[R_STATUS] == SBI_HSM_STATE_STARTED,
              "hart_get_status(1) while it runs: %ld; expected %d (STARTED)",
              (long)r[R_STATUS], SBI_HSM_STATE_STARTED);
  probe_check(pr, r[R_H1_A0] == 1 && r[R_H1_A1] == opaque,
              "hart 1 recorded a0 = %#lx, a1 = %#lx", (unsigned long)r[R_H1_A0],
              (unsigned long)r[R_H1_A1]);
  probe_check(pr, r[R_STOPPED] == SBI_HSM_STATE_STOPPED,
              "hart_get_status(1) after its hart_stop: %ld; expected %d "
              "(STOPPED)",
              (long)r[R_STOPPED], SBI_HSM_STATE_STOPPED);
}

// gdb: the IPI from hart 0 arrives on hart 1 as a VS software interrupt
// at its vector, while it waits; then hart 1's IPI on hart 0.
static void ipis(struct probe *pr) {
  uint64_t cause, epc, tval, r[R_NSLOTS];
  int in;
  if (trap_at(pr, "g_vec_h1", &cause, &epc, &tval) < 0 ||
      between(pr, epc, "g_secondary", "g_vec_h1", &in) < 0)
    return;
  probe_check(pr, cause == CAUSE_SSI && in,
              "hart 1 took scause %#lx at sepc %#lx; expected %#lx (a "
              "supervisor software interrupt) in its own code",
              (unsigned long)cause, (unsigned long)epc,
              (unsigned long)CAUSE_SSI);
  if (trap_at(pr, "g_vec_ipi", &cause, &epc, &tval) < 0 ||
      between(pr, epc, "g_start", "g_secondary", &in) < 0)
    return;
  probe_check(pr, cause == CAUSE_SSI && in,
              "hart 0 took scause %#lx at sepc %#lx; expected %#lx (the IPI "
              "from hart 1) in its own code",
              (unsigned long)cause, (unsigned long)epc,
              (unsigned long)CAUSE_SSI);
  if (results(pr, r) < 0)
    return;
  probe_check(pr, r[R_IPI_SEND] == 0 && r[R_H1_SEND] == 0,
              "send_ipi answered %ld (hart 0) and %ld (hart 1); expected 0",
              (long)r[R_IPI_SEND], (long)r[R_H1_SEND]);
  probe_check(pr, r[R_H1_CAUSE] == CAUSE_SSI && r[R_H0_CAUSE] == CAUSE_SSI,
              "the guest recorded scause %#lx and %#lx for its IPIs",
              (unsigned long)r[R_H1_CAUSE], (unsigned long)r[R_H0_CAUSE]);
}

// gdb, with sstc=off: SBI set_timer's interrupt arrives at the guest's
// vector as a VS timer interrupt, not before the deadline; and the
// guest's stimecmp, which it does not have then, is an illegal
// instruction.
static void timer_sbi(struct probe *pr) {
  uint64_t cause, epc, tval, r[R_NSLOTS];
  int in;
  if (trap_at(pr, "g_vec_timer", &cause, &epc, &tval) < 0 ||
      between(pr, epc, "g_start", "g_secondary", &in) < 0)
    return;
  probe_check(pr, cause == CAUSE_STI && in,
              "at the timer vector scause = %#lx, sepc %#lx; expected %#lx "
              "(a supervisor timer interrupt) in the guest's wait",
              (unsigned long)cause, (unsigned long)epc,
              (unsigned long)CAUSE_STI);
  if (results(pr, r) < 0)
    return;
  probe_check(pr, r[R_TIMER] == CAUSE_STI && (int64_t)r[R_LATE] >= 0,
              "the guest's timer interrupt came %ld ticks after its "
              "deadline (scause %#lx); expected it at or after the deadline",
              (long)r[R_LATE], (unsigned long)r[R_TIMER]);
  uint64_t at;
  if (probe_guest_sym(pr, "g_stimecmp", &at) < 0)
    return;
  probe_check(pr, r[R_SSTC] == CAUSE_ILLEGAL,
              "with sstc=off the guest's write of stimecmp (at %#lx) gave "
              "scause %#lx; expected 2 (illegal instruction: the guest has "
              "no Sstc then)",
              (unsigned long)at, (unsigned long)r[R_SSTC]);
}

// gdb: the guest's own stimecmp (Sstc) raises its timer interrupt.
static void timer_sstc(struct probe *pr) {
  uint64_t cause, epc, tval;
  int in;
  if (trap_at(pr, "g_vec_sstc", &cause, &epc, &tval) < 0 ||
      between(pr, epc, "g_start", "g_secondary", &in) < 0)
    return;
  probe_check(pr, cause == CAUSE_STI && in,
              "after the guest wrote stimecmp: scause = %#lx at sepc %#lx; "
              "expected %#lx (a timer interrupt: Sstc works for the guest)",
              (unsigned long)cause, (unsigned long)epc,
              (unsigned long)CAUSE_STI);
}

// gdb: a load where the guest has neither RAM nor a device is a load
// access fault at the guest's own vector, as on the real machine.
static void mmio_fault(struct probe *pr) {
  uint64_t cause, epc, tval, at;
  if (probe_guest_sym(pr, "g_mmio", &at) < 0 ||
      trap_at(pr, "g_vec_fault", &cause, &epc, &tval) < 0)
    return;
  probe_check(pr, cause == CAUSE_LOAD_ACCESS && epc == at && tval == NO_DEVICE,
              "at the guest's fault vector scause = %lu, sepc = %#lx, stval "
              "= %#lx; expected 5 (load access fault), %#lx, %#lx",
              (unsigned long)cause, (unsigned long)epc, (unsigned long)tval,
              (unsigned long)at, NO_DEVICE);
}

// gdb: the guest's stores and loads of the UART's scratch register are
// decoded from the instruction itself (width, sign, register) and
// emulated: the byte made from the nonce comes back sign-extended in one
// register and zero-extended in another, and the line status says the
// transmitter is empty.
static void mmio_device(struct probe *pr) {
  uint64_t x[32], at, fault;
  if (stop_at(pr, "g_uart_done", NULL) < 0 || check_v(pr, "g_uart_done") < 0 ||
      probe_gregs(pr, x) < 0 || probe_guest_sym(pr, "g_result", &at) < 0 ||
      probe_mem(pr, at + R_UART * 8, &fault, sizeof fault) < 0)
    return;
  uint64_t b = (nonce_of(pr) & 0x7f) | 0x80;
  if (!probe_check(pr, fault == 0,
                   "the guest's accesses to the UART at 0x10000000 took "
                   "scause %lu (0: no fault)",
                   (unsigned long)fault))
    return;
  probe_check(pr, x[21] == b && x[22] == (b | ~0xffUL) && x[23] == b,
              "after sb/lb/lbu of SCR: s5 = %#lx, s6 = %#lx, s7 = %#lx; "
              "expected %#lx stored, %#lx (lb: sign-extended) and %#lx (lbu)",
              (unsigned long)x[21], (unsigned long)x[22], (unsigned long)x[23],
              (unsigned long)b, (unsigned long)(b | ~0xffUL), (unsigned long)b);
  probe_check(pr, (x[24] & 0x60) == 0x60,
              "LSR read %#lx; expected THRE and TEMT (0x60) set",
              (unsigned long)x[24]);
}

// gdb: the UART's interrupt reaches the guest as an external interrupt
// through the PLIC, and its claims and completions are the gateway's
// handshake: claimed, not pending while in service, pending again when
// completed with the line still high, and not after the line drops.
static void plic_claim(struct probe *pr) {
  uint64_t cause, epc, tval, r[R_NSLOTS];
  int in;
  if (trap_at(pr, "g_vec_ext", &cause, &epc, &tval) < 0 ||
      between(pr, epc, "g_start", "g_secondary", &in) < 0)
    return;
  probe_check(pr, cause == CAUSE_SEI && in,
              "at the guest's external-interrupt vector scause = %#lx, sepc "
              "%#lx; expected %#lx (a supervisor external interrupt) in the "
              "guest's wait",
              (unsigned long)cause, (unsigned long)epc,
              (unsigned long)CAUSE_SEI);
  if (results(pr, r) < 0)
    return;
  probe_check(pr, r[R_EXT] == CAUSE_SEI,
              "the guest recorded scause %#lx for its external interrupt",
              (unsigned long)r[R_EXT]);
  probe_check(pr, r[R_CLAIM1] == UART_IRQ,
              "the first claim read %lu; expected %d (the UART's source)",
              (unsigned long)r[R_CLAIM1], UART_IRQ);
  probe_check(pr, r[R_CLAIM2] == 0,
              "a second claim before the completion read %lu; expected 0 "
              "(a claimed source is not pending while in service)",
              (unsigned long)r[R_CLAIM2]);
  probe_check(pr, r[R_CLAIM3] == UART_IRQ,
              "a claim after completing with the line still high read %lu; "
              "expected %d (the gateway forwards the level again)",
              (unsigned long)r[R_CLAIM3], UART_IRQ);
  probe_check(pr, r[R_CLAIM4] == 0,
              "a claim after the line dropped and the source was completed "
              "read %lu; expected 0 (nothing pending)",
              (unsigned long)r[R_CLAIM4]);
}

// gdb: an illegal instruction reaches the guest's own vector.
static void illegal(struct probe *pr) {
  uint64_t cause, epc, tval, at;
  if (probe_guest_sym(pr, "g_illegal", &at) < 0 ||
      trap_at(pr, "g_vec_ill", &cause, &epc, &tval) < 0)
    return;
  probe_check(pr,
              cause == CAUSE_ILLEGAL && epc == at &&
                  (tval == 0 || tval == 0xffffffffUL),
              "at the guest's illegal-instruction vector scause = %lu, sepc "
              "= %#lx, stval = %#lx; expected 2, %#lx, and 0 or the "
              "instruction",
              (unsigned long)cause, (unsigned long)epc, (unsigned long)tval,
              (unsigned long)at);
}

// gdb: the guest's SRST call, reason "system failure".
static void srst_failure(struct probe *pr) {
  uint64_t x[32];
  if (stop_at(pr, "g_srst", NULL) < 0 || probe_gregs(pr, x) < 0)
    return;
  probe_check(pr,
              x[17] == SBI_EXT_SRST && x[16] == SBI_SRST_RESET &&
                  x[10] == SBI_SRST_TYPE_SHUTDOWN &&
                  x[11] == SBI_SRST_REASON_FAILURE,
              "at the guest's SRST call a7 = %#lx, a6 = %lu, a0 = %lu, a1 = "
              "%lu; expected shutdown with reason 1 (system failure)",
              (unsigned long)x[17], (unsigned long)x[16], (unsigned long)x[10],
              (unsigned long)x[11]);
}

// ---- Debian's U-Boot, driven through its console ----------------------------

#define UBOOT "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
#define SCRATCH 0x81000000UL  // 1 MiB of guest RAM U-Boot leaves alone at =>
#define VIRT_TEST 0x100000UL  // virt's power-off device

// Where this run's nonce goes: a place in the scratch MiB drawn from it,
// so neither the value nor the address is known before the run.
static uint64_t scratch_of(uint64_t nonce) {
  return SCRATCH | (nonce >> 12 & 0xff) << 12 | (nonce >> 20 & 0x1ff) << 3;
}

// U-Boot (a guest nobody here wrote) at its prompt: stop autoboot, write
// the nonce into guest RAM with mw.q, echo it, power off. The verdict is
// read where the power-off reaches the hypervisor (guest_stop): its status
// 0, the exit that brought it (the guest's store to the power-off device,
// or its SRST call), and the nonce at its address in guest RAM, read
// through the G-stage the hypervisor built -- which only a guest that
// really ran U-Boot's command puts there.
static void uboot(struct probe *pr) {
  uint64_t nonce = nonce_of(pr), gpa = scratch_of(nonce);
  char cmd[96], word[40];
  snprintf(word, sizeof word, "hvlab-%016lx", (unsigned long)nonce);
  if (probe_resume_to(pr, "guest_stop") < 0 ||
      probe_expect(pr, "Hit any key to stop autoboot", 60) < 0 ||
      probe_send(pr, " ") < 0 || probe_expect(pr, "=> ", 20) < 0)
    return;
  snprintf(cmd, sizeof cmd, "mw.q %#lx %#lx\r", (unsigned long)gpa,
           (unsigned long)nonce);
  if (probe_type(pr, cmd, 10) < 0 || probe_expect(pr, "=> ", 10) < 0)
    return;
  snprintf(cmd, sizeof cmd, "echo %s\r", word);
  if (probe_type(pr, cmd, 10) < 0 || probe_expect(pr, word, 10) < 0 ||
      probe_expect(pr, "=> ", 10) < 0)
    return;
  // The last key: U-Boot powers off at once, so the stop is awaited, not
  // its echo.
  uint64_t x[32], scause, stval, htval, got;
  if (probe_type(pr, "poweroff", 10) < 0 || probe_send(pr, "\r") < 0 ||
      probe_wait_at(pr, "guest_stop") < 0 || probe_gregs(pr, x) < 0 ||
      probe_hart_stopped(pr, "scause", &scause) < 0 ||
      probe_hart_stopped(pr, "stval", &stval) < 0 ||
      probe_hart_stopped(pr, "htval", &htval) < 0)
    return;
  probe_note(pr,
             "at guest_stop: status %ld; the exit: scause %lu, stval "
             "%#lx, htval %#lx",
             (long)x[11], (unsigned long)scause, (unsigned long)stval,
             (unsigned long)htval);
  probe_check(pr, (int)x[11] == 0,
              "guest_stop was called with status %d; expected 0 (U-Boot "
              "powered off cleanly)",
              (int)x[11]);
  probe_check(pr,
              scause == EXC_ECALL_VS ||
                  (scause == EXC_STORE_GUEST_PAGE_FAULT &&
                   (htval << 2 | (stval & 3)) == VIRT_TEST),
              "the exit that stopped the guest: scause %lu, htval %#lx; "
              "expected U-Boot's SRST call (10) or its store to the "
              "power-off device at %#lx (23)",
              (unsigned long)scause, (unsigned long)htval, VIRT_TEST);
  if (probe_guest_phys(pr, gpa, &got, sizeof got) < 0)
    return;
  probe_check(pr, got == nonce,
              "guest RAM at %#lx holds %#lx; U-Boot's mw.q wrote this run's "
              "nonce %#lx there",
              (unsigned long)gpa, (unsigned long)got, (unsigned long)nonce);
}

#define RAN "^step5: PASS: guest '" G5 "' ran on 2 harts and shut down$"
#define GUEST5 .guest = G5, .harts = 2

static const struct gtest tests[] = {
    // The hardware evidence first: every other test needs it.
    {
        .name = "hsm_start_gdb",
        .points = 14,
        .about = "gdb: the grader's 2-hart guest starts hart 1 with HSM: it "
                 "begins at the given address with a0 = 1 and a1 = the "
                 "opaque value, in VS-mode; hart_start's errors as the spec "
                 "says; hart_stop stops it",
        GUEST5,
        .probe = hsm_start,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "ipi_gdb",
        .gate = "hsm_start_gdb",
        .points = 12,
        .about = "gdb: SBI send_ipi between the guest's harts arrives as a "
                 "VS software interrupt at the other hart's own vector",
        GUEST5,
        .probe = ipis,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "timer_sbi_gdb",
        .gate = "hsm_start_gdb",
        .points = 12,
        .about = "gdb, sstc=off: SBI set_timer's deadline raises a VS timer "
                 "interrupt at the guest's vector, not before; stimecmp is "
                 "then an illegal instruction",
        GUEST5,
        .append = "sstc=off",
        .probe = timer_sbi,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "timer_sstc_gdb",
        .gate = "hsm_start_gdb",
        .points = 8,
        .about = "gdb: the guest's own stimecmp (Sstc) raises its timer "
                 "interrupt",
        GUEST5,
        .probe = timer_sstc,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "mmio_fault_gdb",
        .gate = "hsm_start_gdb",
        .points = 8,
        .about = "gdb: a load from a device slot with no device is a load "
                 "access fault (scause 5, stval the address) at the guest's "
                 "own vector",
        GUEST5,
        .probe = mmio_fault,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "mmio_device_gdb",
        .gate = "hsm_start_gdb",
        .points = 10,
        .about = "gdb: the guest's sb/lb/lbu of the UART's scratch register "
                 "(a byte from the nonce) are decoded and emulated: stored, "
                 "read back sign- and zero-extended into their registers",
        GUEST5,
        .probe = mmio_device,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "plic_claim_gdb",
        .gate = "hsm_start_gdb",
        .points = 10,
        .about = "gdb: the UART's THR-empty interrupt reaches the guest's "
                 "vector as a VS external interrupt through the PLIC; claim "
                 "gives source 10, then 0 while in service, 10 again after "
                 "a completion with the line still high, 0 once it dropped",
        GUEST5,
        .probe = plic_claim,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "illegal_insn_gdb",
        .gate = "hsm_start_gdb",
        .points = 8,
        .about = "gdb: an illegal instruction reaches the guest's own trap "
                 "vector (scause 2, sepc the instruction)",
        GUEST5,
        .probe = illegal,
        .expect = {RAN},
        .reject = {"PANIC"},
    },
    {
        .name = "srst_failure",
        .gate = "hsm_start_gdb",
        .points = 8,
        .about = "SRST shutdown with reason \"system failure\" ends QEMU "
                 "with status 1 and the stage's FAIL line",
        GUEST5,
        .guest_arg = SBI_SRST_REASON_FAILURE,
        .probe = srst_failure,
        .status = ST_FAIL,
        .expect = {"^step5: FAIL: guest '" G5 "' shut down reporting "
                   "failure \\(status 1\\)$"},
        .reject = {"PANIC", "^step5: PASS"},
    },
    {
        .name = "uboot_console_gdb",
        .gate = "hsm_start_gdb",
        .points = 10,
        .about = "gdb: Debian's U-Boot boots to its prompt; driven through "
                 "its console it writes this run's nonce into guest RAM "
                 "(mw.q), echoes it and powers off: the nonce is read "
                 "through the G-stage where the power-off reaches the "
                 "hypervisor",
        .image = UBOOT,
        .image_deb = "u-boot-qemu",
        .timeout = 120,
        .probe = uboot,
        .expect = {"^Hit any key to stop autoboot", "^hvlab-[0-9a-f]{16}$",
                   "^step5: PASS"},
        .reject = {"PANIC"},
    },
};

GRADE_STAGE(5, "step5-devices",
            "devices, interrupts, several vCPUs: the grader's 2-hart guest",
            tests);
