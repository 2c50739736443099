// The start of an exit-path single-step, shared by the benchmarks that
// count one exit's instructions function by function.

#include <stdint.h>
#include <stdio.h>

#include "bench.h"
#include "qemu.h"
#include "rsp.h"

// Run until the guest reaches `at` a second time (past any first-time
// work), then to `vector`.
static int to_exit(struct rsp_client *c, uint64_t at, uint64_t vector, int ms) {
  struct rsp_stop st;
  return rsp_break_insert(c, RSP_BP_SW, at, 4) < 0 || rsp_continue(c) < 0 ||
                 rsp_wait_stop(c, &st, ms) < 0 ||
                 rsp_continue_over(c, RSP_BP_SW, at, 4) < 0 ||
                 rsp_wait_stop(c, &st, ms) < 0 ||
                 rsp_break_remove(c, RSP_BP_SW, at, 4) < 0 ||
                 rsp_break_insert(c, RSP_BP_SW, vector, 4) < 0 ||
                 rsp_continue(c) < 0 || rsp_wait_stop(c, &st, ms) < 0 ||
                 rsp_break_remove(c, RSP_BP_SW, vector, 4) < 0
             ? -1
             : 0;
}

int bench_start_at_exit(const struct qemu_cfg *cfg, struct qemu_proc *q,
                        struct rsp_client *c, uint64_t at, uint64_t vector,
                        int ms) {
  if (qemu_start(cfg, q) < 0) {
    perror("bench: qemu-system-riscv64");
    return -1;
  }
  if (rsp_connect(c, "localhost", q->gdb_port, 5000) < 0) {
    printf("bench: gdbstub: %s\n", rsp_error(c));
    qemu_free(q);
    return -1;
  }
  if (to_exit(c, at, vector, ms) < 0) {
    printf("bench: gdbstub: %s\n", rsp_error(c));
    rsp_kill(c);
    rsp_close(c);
    qemu_free(q);
    return -1;
  }
  return 0;
}
