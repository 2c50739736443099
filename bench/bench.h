// `make bench`: hvlab's benchmarks. Each benchmark is one function,
// registered with BENCH() like a test, that prints its figures and returns
// 0 (or non-zero if it could not run). Figures are either exact counts
// (QEMU -icount shift=0 makes instruction counts deterministic) or ratios
// measured within one run, never wall times compared across runs: the
// machines this runs on are shared and noisy.
#pragma once

struct bench {
  const char *name;
  const char *what;  // one line: what it measures and the goal
  int (*fn)(void);
};

#define BENCH(name, what)                                                      \
  static int name(void);                                                       \
  static const struct bench bench_rec_##name = {#name, what, name};            \
  static const struct bench *const bench_ptr_##name                            \
      __attribute__((used, section("hvbench"))) = &bench_rec_##name;           \
  static int name(void)

// The build directory ($HVLAB_BUILD, else "build").
const char *bench_build_dir(void);

// Start QEMU (cfg: halted, with a gdbstub) and, over its gdbstub, run
// until the guest reaches `at` a second time (past any first-time work),
// then to `vector`, the hypervisor's trap entry, where the exit begins.
// 0: q and c are the caller's to end (rsp_kill, rsp_close, qemu_free);
// -1: it said why and ended what it started. ms: the longest wait for
// each stop.
struct qemu_cfg;
struct qemu_proc;
struct rsp_client;
int bench_start_at_exit(const struct qemu_cfg *cfg, struct qemu_proc *q,
                        struct rsp_client *c, __UINT64_TYPE__ at,
                        __UINT64_TYPE__ vector, int ms);
