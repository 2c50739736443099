// Stage 3's tests: running guests and handling their exits.

#include <stdio.h>
#include <string.h>

#include "exittrace.h"
#include "grade.h"
#include "guest3.h"
#include "hvlab/causes.h"
#include "hvlab/sbi_ids.h"
#include "rvdecode.h"
#include "rvscan.h"

#define SEED_CALLS 5  // seed=N of trace_seed_gdb

// Stop once the guests have run and the trace is final: at trace_summary,
// which step3-guest/trace.c keeps out of line for this. A tree that lost
// its noinline (LTO then inlines it away) is stopped when it starts
// printing the summary line instead.
static int stop_at_summary(struct probe *pr) {
  if (probe_has_sym(pr, "trace_summary"))
    return probe_stop(pr, "trace_summary");
  return probe_stop_print(pr, "hv: exit trace");
}

// The first exit of the seed guest: stop at guest_exit in switch.S, the
// first instruction after the trap, and look at the trap CSRs there.
static void first_exit(struct probe *pr) {
  if (probe_stop(pr, "guest_exit") < 0)
    return;
  uint64_t scause, hstatus, sepc;
  if (probe_reg(pr, "scause", &scause) < 0 ||
      probe_reg(pr, "hstatus", &hstatus) < 0 ||
      probe_reg(pr, "sepc", &sepc) < 0)
    return;
  probe_check(pr, scause == EXC_ECALL_VS,
              "scause = %lu at the first exit; expected 10 (ecall from "
              "VS-mode: the seed guest's hypercall)",
              (unsigned long)scause);
  probe_check(pr, (hstatus & HSTATUS_SPV) != 0,
              "hstatus.SPV = %lu; expected 1: the trap came from a guest "
              "(V=1), and sret must go back to it",
              (unsigned long)((hstatus & HSTATUS_SPV) >> 7));
  const char *f = probe_func_at(pr, sepc);
  probe_check(pr, f && strcmp(f, "guest_seed") == 0,
              "sepc = %#lx is in %s; expected an address in guest_seed",
              (unsigned long)sepc, f ? f : "no function");
  uint8_t b[4];
  if (probe_mem(pr, sepc, b, 4) < 0)
    return;
  struct rv_insn in;
  rv_decode((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                (uint32_t)b[3] << 24,
            sepc, &in);
  probe_check(pr, strcmp(in.text, "ecall") == 0,
              "the instruction at sepc is '%s'; expected ecall", in.text);
}

// Where the seed guest's ecall is, found in the ELF with hostlib's
// rv_find_insn -- which walks a symbol by its ELF size. guest_seed is an
// assembly label, and has a size only if guest_seed.S gives it one
// (.size); without one, the seed guest's first exit tells us instead: at
// guest_exit, sepc is that ecall (first_exit_gdb checks the same), and
// the trace must still be empty. Returns how many hypercalls the guest
// has made by then (0, or 1 at that exit), or -1.
static int seed_ecall(struct probe *pr, uint64_t *ecall) {
  uint64_t seed, size;
  if (probe_sym(pr, "guest_seed", &seed, &size) < 0)
    return -1;
  if (size) {
    if (probe_find_insn(pr, "guest_seed", RV_ECALL, ~0u, ecall) < 0)
      return -1;
    probe_note(pr, "the seed guest's ecall is at %#lx (from the ELF)",
               (unsigned long)*ecall);
    return 0;
  }
  uint64_t sepc;
  uint8_t b[4];
  struct trace_view t;
  if (probe_stop(pr, "guest_exit") < 0 || probe_reg(pr, "sepc", &sepc) < 0 ||
      probe_mem(pr, sepc, b, 4) < 0 || trace_read(pr, &t) < 0)
    return -1;
  uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                  (uint32_t)b[3] << 24;
  const char *f = probe_func_at(pr, sepc);
  if (!f || strcmp(f, "guest_seed") != 0 || bits != RV_ECALL)
    return probe_fail(pr,
                      "the first exit has sepc = %#lx (in %s, "
                      "instruction %08x); expected the ecall in "
                      "guest_seed",
                      (unsigned long)sepc, f ? f : "no function", bits);
  probe_note(pr,
             "the seed guest's ecall is at %#lx (from its first exit: "
             "guest_seed has no size in the ELF)",
             (unsigned long)sepc);
  probe_check(pr, t.total == 0,
              "at the seed guest's first exit the trace holds %lu exits; "
              "expected 0: this one is not recorded yet",
              (unsigned long)t.total);
  *ecall = sepc;
  return 1;
}

// The seed guest counts its own hypercalls in a0. Stop at its ecall each
// time: before hypercall k the trace must hold exactly k exits, all of
// them ecalls. Then, once it has stopped, exactly SEED_CALLS.
static void trace_seed(struct probe *pr) {
  uint64_t ecall;
  int first = seed_ecall(pr, &ecall);
  if (first < 0)
    return;
  struct trace_view t;
  for (uint64_t k = (uint64_t)first; k < SEED_CALLS; k++) {
    uint64_t a0;
    if (probe_stop_addr(pr, ecall, "the seed guest's ecall") < 0 ||
        probe_reg(pr, "a0", &a0) < 0 || trace_read(pr, &t) < 0)
      return;
    if (!probe_check(pr, a0 == k,
                     "at its hypercall #%lu the seed guest's a0 = %lu (it "
                     "counts its own calls in a0)",
                     (unsigned long)k, (unsigned long)a0))
      return;
    probe_check(pr, t.total == k && t.count[EXC_ECALL_VS] == k,
                "before hypercall #%lu the trace holds %lu exits, %lu of "
                "them ecalls; the guest has made %lu",
                (unsigned long)k, (unsigned long)t.total,
                (unsigned long)t.count[EXC_ECALL_VS], (unsigned long)k);
  }
  if (stop_at_summary(pr) < 0 || trace_read(pr, &t) < 0)
    return;
  probe_check(pr, t.total == SEED_CALLS,
              "after the guest: exit_trace.total = %lu; expected %d (seed=%d)",
              (unsigned long)t.total, SEED_CALLS, SEED_CALLS);
  probe_check(pr, t.count[EXC_ECALL_VS] == SEED_CALLS,
              "count[10] (%s) = %lu; expected %d", hv_cause_name(EXC_ECALL_VS),
              (unsigned long)t.count[EXC_ECALL_VS], SEED_CALLS);
  probe_check(pr, trace_sum(&t) == t.total,
              "the counters add up to %lu; total says %lu",
              (unsigned long)trace_sum(&t), (unsigned long)t.total);
  probe_check(pr, t.newest.seq == t.total && t.newest.cause == EXC_ECALL_VS,
              "the newest ring record has seq %lu, cause %lu (%s); expected "
              "seq %lu, cause 10 (%s)",
              (unsigned long)t.newest.seq, (unsigned long)t.newest.cause,
              hv_cause_name(t.newest.cause), (unsigned long)t.total,
              hv_cause_name(EXC_ECALL_VS));
  probe_check(pr, t.newest.pc == ecall,
              "the newest record's pc = %#lx; expected the ecall at %#lx",
              (unsigned long)t.newest.pc, (unsigned long)ecall);
  probe_check(pr, t.newest.arg[0] == SBI_EXT_HVLAB,
              "the newest record's arg[0] (a7, the extension) = %#lx; "
              "expected %#x (hvlab)",
              (unsigned long)t.newest.arg[0], SBI_EXT_HVLAB);
}

// Both guests: read the final trace now, compare it with the console once
// the run is over (the per-guest "made N exits" lines come after it).
enum { S_TOTAL, S_EBREAK, S_ECALL, S_SUM, S_SEQ, S_OK };
static void trace_console(struct probe *pr) {
  struct trace_view t;
  if (stop_at_summary(pr) < 0 || trace_read(pr, &t) < 0)
    return;
  uint64_t *s = probe_saved(pr);
  s[S_TOTAL] = t.total;
  s[S_EBREAK] = t.count[EXC_BREAKPOINT];
  s[S_ECALL] = t.count[EXC_ECALL_VS];
  s[S_SUM] = trace_sum(&t);
  s[S_SEQ] = t.newest.seq;
  s[S_OK] = 1;
}

static void trace_console_after(struct probe *pr, const char *console) {
  uint64_t *s = probe_saved(pr);
  if (!s[S_OK])
    return;
  long made = console_sum(console, "^hv: guest '[a-z]+' made ([0-9]+) exits");
  long ebreaks = console_count(console, "^hv: guest '[a-z]+' ebreak at ");
  probe_check(pr, (long)s[S_TOTAL] == made,
              "exit_trace.total = %lu; the console's \"made N exits\" lines "
              "add up to %ld",
              (unsigned long)s[S_TOTAL], made);
  probe_check(pr, (long)s[S_EBREAK] == ebreaks,
              "count[3] (%s) = %lu; the console shows %ld ebreak exits",
              hv_cause_name(EXC_BREAKPOINT), (unsigned long)s[S_EBREAK],
              ebreaks);
  probe_check(pr, s[S_ECALL] + s[S_EBREAK] == s[S_TOTAL],
              "count[10] (ecall) + count[3] (breakpoint) = %lu + %lu; the "
              "two guests make no other exits, so expected %lu",
              (unsigned long)s[S_ECALL], (unsigned long)s[S_EBREAK],
              (unsigned long)s[S_TOTAL]);
  probe_check(pr, s[S_SUM] == s[S_TOTAL] && s[S_SEQ] == s[S_TOTAL],
              "the counters add up to %lu and the newest record is #%lu; "
              "total is %lu",
              (unsigned long)s[S_SUM], (unsigned long)s[S_SEQ],
              (unsigned long)s[S_TOTAL]);
}

#define GUEST_PASS(what) "^guest\\| PASS " what "$"

static const struct gtest tests[] = {
    // The hardware evidence first: every other test needs the first.
    {
        .name = "guest_runs_gdb",
        .points = 4,
        .about = "gdb: the grader's own guest (loaded by QEMU at 0x84000000) "
                 "starts with V=1, in VS-mode, hgatp Bare",
        .append = "guest=image",
        .guest = "g3",
        .probe = g3_runs,
        // Only the probe's verdict counts here: after the guest's first
        // instruction the run may end any way (a task's stub, say).
        .status =
            ST_OK | ST_FAIL | ST_NO_H | ST_PANIC | ST_GUEST | ST(EXIT_TODO),
    },
    {
        .name = "grader_guest_gdb",
        .points = 16,
        .about = "gdb: the grader's guest, with this run's nonce: at each of "
                 "its exits V=1, then the trap CSRs at stvec, then every "
                 "register and the SBI answer where it resumes",
        .append = "guest=image",
        .guest = "g3",
        .probe = g3_exits,
        .gate = "guest_runs_gdb",
        .expect = {"^hv: guest 'image' shut down \\(status 0\\)",
                   "^step3: PASS"},
    },
    {
        .name = "seed_hypercalls",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "the seed guest (guest=seed seed=7) makes 7 hypercalls "
                 "with args 2 3 3 3, counting 0..6 in a0, and stops",
        .append = "guest=seed seed=7",
        .expect = {"^hv: entering guest 'seed'",
                   "^hv: hypercall #0 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #1 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #2 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #3 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #4 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #5 from 'seed': args 2 3 3 3$",
                   "^hv: hypercall #6 from 'seed': args 2 3 3 3$",
                   "^hv: guest 'seed' reached a0 = 6 after 7 hypercalls$",
                   "^hv: guest 'seed' made 7 exits$",
                   "^step3: PASS: 1 guest\\(s\\)"},
        .reject = {"hypercall #7 ", "PANIC"},
    },
    {
        .name = "guest_tests",
        .points = 6,
        .gate = "guest_runs_gdb",
        .about = "both guests run; every in-guest test of the C guest "
                 "prints PASS and the stage passes",
        .expect = {"^hv: entering guest 'seed'", "^hv: entering guest 'hello'",
                   "^guest\\| hello from a C guest",
                   GUEST_PASS("SBI BASE reports spec version 1\\.0"),
                   GUEST_PASS("SBI BASE probe finds SRST"),
                   GUEST_PASS("SBI BASE probe: no extension 0x12345678"),
                   GUEST_PASS("unknown extension gets SBI_ERR_NOT_SUPPORTED"),
                   GUEST_PASS("unknown BASE function gets "
                              "SBI_ERR_NOT_SUPPORTED"),
                   GUEST_PASS("all 31 registers survive an ebreak exit"),
                   GUEST_PASS("all 31 registers survive a hypercall"),
                   GUEST_PASS("sepc advances by the instruction length "
                              "\\(2 and 4\\)"),
                   GUEST_PASS("the exit trace counted every exit"),
                   "^guest\\| C guest done: 0 failed",
                   "^hv: guest 'hello' shut down \\(status 0\\)",
                   "^hv: guest tests: [1-9][0-9]* passed, 0 failed",
                   "^step3: PASS: 2 guest\\(s\\)"},
        .reject = {"^guest\\| FAIL", "PANIC"},
    },
    {
        .name = "sbi_not_supported",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "unknown SBI extensions and functions get "
                 "SBI_ERR_NOT_SUPPORTED; BASE probes say what exists",
        .append = "guest=hello",
        .status = ST_OK | ST_FAIL,
        .expect = {GUEST_PASS("SBI BASE probe finds SRST"),
                   GUEST_PASS("SBI BASE probe: no extension 0x12345678"),
                   GUEST_PASS("unknown extension gets SBI_ERR_NOT_SUPPORTED"),
                   GUEST_PASS("unknown BASE function gets "
                              "SBI_ERR_NOT_SUPPORTED")},
        .reject = {"^guest\\| FAIL (unknown|SBI)", "PANIC"},
    },
    {
        .name = "regs_survive",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "all 31 guest registers survive an ebreak exit and a "
                 "hypercall (the world switch saves and restores each one)",
        .append = "guest=hello",
        .status = ST_OK | ST_FAIL,
        .expect = {GUEST_PASS("all 31 registers survive an ebreak exit"),
                   GUEST_PASS("all 31 registers survive a hypercall")},
        .reject = {"came back as", "PANIC"},
    },
    {
        .name = "sepc_advance",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "after an exit the guest resumes past the instruction: 2 "
                 "bytes for c.ebreak, 4 for ebreak",
        .append = "guest=hello",
        .status = ST_OK | ST_FAIL,
        .expect =
            {"^hv: guest 'hello' ebreak at [0-9a-f]{16} \\(c\\.ebreak\\), "
             "skipping 2 bytes$",
             "^hv: guest 'hello' ebreak at [0-9a-f]{16} \\(ebreak\\), "
             "skipping 4 bytes$",
             GUEST_PASS("sepc advances by the instruction length "
                        "\\(2 and 4\\)")},
        .reject = {"PANIC"},
    },
    {
        .name = "unhandled_exit",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "an exit nobody handles (guest=fault: a virtual "
                 "instruction) dumps the vCPU and powers off with status 4",
        .append = "guest=fault",
        .status = ST_GUEST,
        .expect = {"^hv: entering guest 'fault'",
                   "^hv: guest 'fault' failed: unhandled exit: scause 22 "
                   "\\(virtual instruction\\) at pc [0-9a-f]{16}$",
                   "^vcpu 'fault'", "^ +ra=[0-9a-f]{16} +sp=[0-9a-f]{16}",
                   "^ +t4=[0-9a-f]{16} +t5=[0-9a-f]{16} +t6=[0-9a-f]{16}$",
                   "^ +hstatus +[0-9a-f]{16}",
                   "^ +cause +0000000000000016 +virtual instruction",
                   "^step3: FAIL"},
        .reject = {"PANIC"},
    },
    {
        .name = "wfi_is_an_exit",
        .points = 2,
        .gate = "guest_runs_gdb",
        .about = "a guest wfi exits (hstatus.VTW) instead of hanging the "
                 "machine: guest=wfi ends with a dump and status 4",
        .append = "guest=wfi",
        .status = ST_GUEST,
        .expect = {"^hv: guest 'wfi' failed: unhandled exit: scause 22 "
                   "\\(virtual instruction\\)",
                   "^ +tval +0000000010500073$", "^step3: FAIL"},
        .reject = {"PANIC"},
    },
    {
        .name = "first_exit_gdb",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "gdb at guest_exit, the first exit: scause 10, "
                 "hstatus.SPV 1, sepc at the seed guest's ecall",
        .append = "guest=seed seed=3",
        .probe = first_exit,
        .expect = {"^step3: PASS"},
    },
    {
        .name = "trace_seed_gdb",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "gdb: at each of the seed guest's hypercalls exit_trace "
                 "holds as many exits as the guest made (its a0), and 5 "
                 "after seed=5",
        .append = "guest=seed seed=5",
        .probe = trace_seed,
        .expect = {"^hv: guest 'seed' made 5 exits$"},
    },
    {
        .name = "trace_console_gdb",
        .points = 4,
        .gate = "guest_runs_gdb",
        .about = "gdb: exit_trace's total and per-cause counters agree with "
                 "the exits the console shows for both guests",
        .status = ST_OK | ST_FAIL,
        .probe = trace_console,
        .after = trace_console_after,
        .expect = {"^hv: guest 'seed' made [0-9]+ exits$",
                   "^hv: guest 'hello' made [0-9]+ exits$"},
        // An example of a result students see only after the due date.
        .visibility = "after_due_date",
    },
};

GRADE_STAGE(3, "step3-guest", "a first guest, and its exits", tests);
