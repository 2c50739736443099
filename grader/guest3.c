// Stage 3's hardware evidence: the grader's own guest (grader/guests/
// g3.S), loaded by QEMU, with a nonce and a round count drawn for this run.
// Only a hypervisor that really runs it in VS-mode and really handles its
// exits gets these facts right, whatever it prints:
//   - at the guest's first instruction the hart has V=1;
//   - at each exiting instruction V=1 and the registers hold values made
//     from this run's nonce (only the guest's own code makes them);
//   - at the trap vector (where stvec sends the hart) V=0, scause and sepc
//     name that instruction, hstatus.SPV and sstatus.SPP say "from
//     VS-mode", and no register has changed yet;
//   - where the guest must resume, V=1 again, the SBI answer is in a0/a1
//     and every other register is as the guest left it;
//   - at the end, the memory the guest wrote holds its checksum.

#include <stdio.h>
#include <string.h>

#include "grade.h"
#include "guest3.h"
#include "hvlab/csr.h"
#include "hvlab/layout.h"
#include "hvlab/sbi_ids.h"

static uint64_t rotl(uint64_t x, unsigned n) {
  return n % 64 ? x << n | x >> (64 - n % 64) : x;
}

// The values g3.S's FILL puts in each register: (register, n).
static const struct {
  int reg, n;
} fills[] = {{1, 1},   {3, 3},   {4, 4},   {5, 5},   {6, 6},
             {7, 7},   {21, 8},  {22, 9},  {23, 10}, {24, 11},
             {25, 12}, {26, 13}, {27, 14}, {28, 15}, {29, 16},
             {30, 17}, {12, 18}, {13, 19}, {14, 20}, {15, 21}};

static int virt(struct probe *pr, uint64_t *v) {
  return probe_hart(pr, "V", v);
}

void g3_runs(struct probe *pr) {
  uint64_t start, v, x[32];
  if (probe_guest_sym(pr, "g_start", &start) < 0 ||
      probe_stop_addr(pr, start, "the grader's guest") < 0 ||
      virt(pr, &v) < 0 || probe_gregs(pr, x) < 0)
    return;
  probe_check(pr, v == 1,
              "at the grader's guest's first instruction (%#lx) V = %lu; "
              "expected 1: the guest runs virtualized, in VS-mode",
              (unsigned long)start, (unsigned long)v);
  uint64_t hgatp;
  if (probe_reg(pr, "hgatp", &hgatp) < 0)
    return;
  probe_check(pr, hgatp >> 60 == 0,
              "hgatp.MODE = %lu; stage 3 runs guests with Bare (0)",
              (unsigned long)(hgatp >> 60));
}

struct exit_point {
  const char *sym;
  int len;         // bytes to skip
  uint64_t cause;  // scause at the trap
  int call;        // 1: an SBI call (a0/a1 answered)
};

static const struct exit_point points[] = {
    {"g_ecall_base", 4, 10, 1},
    {"g_ecall_none", 4, 10, 1},
    {"g_ebreak", 4, 3, 0},
    {"g_cebreak", 2, 3, 0},
};

static const char *const rn[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

// One exit, the guest stopped at it (round r). 0, or -1 to stop here.
static int one_exit(struct probe *pr, const struct exit_point *e, uint64_t at,
                    uint64_t nonce, uint64_t r, uint64_t *vector) {
  uint64_t v, before[32], x[32];
  if (virt(pr, &v) < 0 || probe_gregs(pr, before) < 0)
    return -1;
  int ok = probe_check(pr, v == 1, "at %s (round %lu) V = %lu; expected 1",
                       e->sym, (unsigned long)r, (unsigned long)v);
  for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
    uint64_t want = rotl(nonce, (unsigned)fills[i].n) ^ r;
    if (before[fills[i].reg] != want) {
      ok =
          probe_check(pr, 0,
                      "at %s (round %lu) %s = %#lx; the grader's guest "
                      "put %#lx there: is it the guest that runs?",
                      e->sym, (unsigned long)r, rn[fills[i].reg],
                      (unsigned long)before[fills[i].reg], (unsigned long)want);
      break;
    }
  }
  // Into the trap. While V=1 the hart shows the guest's stvec in its
  // place, so the first time the vector is the image's hv_vector; there
  // the hart's own stvec must say the same, and is used from then on.
  uint64_t stvec = *vector;
  if (!stvec && probe_sym(pr, "hv_vector", &stvec, NULL) < 0)
    return -1;
  if (probe_stop_addr(pr, stvec, "the trap vector (stvec)") < 0)
    return -1;
  uint64_t real;
  if (probe_reg(pr, "stvec", &real) < 0)
    return -1;
  if (!probe_check(pr, (real & ~3UL) == stvec,
                   "the hart's stvec = %#lx; the exit arrived at %#lx",
                   (unsigned long)real, (unsigned long)stvec))
    return -1;
  *vector = stvec;
  uint64_t scause, sepc, hstatus, mstatus;
  if (virt(pr, &v) < 0 || probe_hart(pr, "scause", &scause) < 0 ||
      probe_hart(pr, "sepc", &sepc) < 0 ||
      probe_hart(pr, "hstatus", &hstatus) < 0 ||
      probe_hart(pr, "mstatus", &mstatus) < 0 || probe_gregs(pr, x) < 0)
    return -1;
  ok &= probe_check(pr, v == 0 && scause == e->cause && sepc == at,
                    "at the trap vector after %s: V = %lu, scause = %lu, "
                    "sepc = %#lx; expected V = 0, scause = %lu, sepc = %#lx",
                    e->sym, (unsigned long)v, (unsigned long)scause,
                    (unsigned long)sepc, (unsigned long)e->cause,
                    (unsigned long)at);
  ok &= probe_check(pr, (hstatus & HSTATUS_SPV) && (mstatus & SSTATUS_SPP),
                    "at the trap vector: hstatus.SPV = %d, sstatus.SPP = %d; "
                    "expected 1 and 1 (the trap came from VS-mode)",
                    !!(hstatus & HSTATUS_SPV), !!(mstatus & SSTATUS_SPP));
  for (int i = 1; i < 32; i++)
    if (x[i] != before[i]) {
      ok &= probe_check(pr, 0,
                        "at the trap vector %s = %#lx, at the guest's %s it "
                        "was %#lx: the hardware changes no register",
                        rn[i], (unsigned long)x[i], e->sym,
                        (unsigned long)before[i]);
      break;
    }
  // Back in the guest, past the instruction.
  char what[64];
  snprintf(what, sizeof what, "the guest's resume point after %s", e->sym);
  if (probe_stop_addr(pr, at + (uint64_t)e->len, what) < 0 ||
      virt(pr, &v) < 0 || probe_gregs(pr, x) < 0)
    return -1;
  ok &= probe_check(pr, v == 1, "resuming after %s: V = %lu; expected 1",
                    e->sym, (unsigned long)v);
  for (int i = 1; i < 32; i++) {
    if (e->call && (i == 10 || i == 11))
      continue;
    if (x[i] != before[i]) {
      ok &= probe_check(pr, 0,
                        "after %s (round %lu) %s = %#lx; the guest had %#lx: "
                        "the world switch must keep every register",
                        e->sym, (unsigned long)r, rn[i], (unsigned long)x[i],
                        (unsigned long)before[i]);
      break;
    }
  }
  if (e->call && strcmp(e->sym, "g_ecall_base") == 0)
    ok &= probe_check(pr, x[10] == 0 && x[11] == 1UL << 24,
                      "after SBI get_spec_version: a0 = %#lx, a1 = %#lx; "
                      "expected 0 and 0x1000000 (SBI 1.0)",
                      (unsigned long)x[10], (unsigned long)x[11]);
  else if (e->call)
    ok &= probe_check(pr, x[10] == (uint64_t)(int64_t)SBI_ERR_NOT_SUPPORTED,
                      "after a call to extension %#lx, which does not "
                      "exist: a0 = %ld; expected %d (SBI_ERR_NOT_SUPPORTED)",
                      (unsigned long)before[17], (long)x[10],
                      SBI_ERR_NOT_SUPPORTED);
  return ok ? 0 : -1;
}

void g3_exits(struct probe *pr) {
  uint64_t nonce = probe_saved(pr)[SAVED_NONCE];
  uint64_t rounds = probe_saved(pr)[SAVED_ROUNDS];
  uint64_t at[4], reset, result, vector = 0;
  for (int i = 0; i < 4; i++)
    if (probe_guest_sym(pr, points[i].sym, &at[i]) < 0)
      return;
  if (probe_guest_sym(pr, "g_ecall_reset", &reset) < 0 ||
      probe_guest_sym(pr, "g_result", &result) < 0)
    return;
  probe_note(pr, "nonce %#lx, %lu rounds", (unsigned long)nonce,
             (unsigned long)rounds);
  uint64_t here = 0;  // where the guest is stopped, once it resumed
  for (uint64_t r = 0; r < rounds; r++)
    for (int i = 0; i < 4; i++) {
      char what[64];
      snprintf(what, sizeof what, "the grader's guest's %s (round %lu)",
               points[i].sym, (unsigned long)r);
      // (c.ebreak is where ebreak resumes: already there.)
      if ((here != at[i] && probe_stop_addr(pr, at[i], what) < 0) ||
          one_exit(pr, &points[i], at[i], nonce, r, &vector) < 0)
        return;
      here = at[i] + (uint64_t)points[i].len;
    }
  uint64_t x[32], mem[2];
  if (probe_stop_addr(pr, reset, "the grader's guest's shutdown") < 0 ||
      probe_gregs(pr, x) < 0 || probe_mem(pr, result, mem, sizeof mem) < 0)
    return;
  uint64_t sum = rounds * ((1UL << 24) - 2);
  probe_check(pr, x[18] == rounds && mem[0] == sum && mem[1] == nonce + rounds,
              "the guest made %lu of %lu rounds and wrote %#lx, %#lx; "
              "expected %#lx, %#lx",
              (unsigned long)x[18], (unsigned long)rounds,
              (unsigned long)mem[0], (unsigned long)mem[1], (unsigned long)sum,
              (unsigned long)(nonce + rounds));
}
