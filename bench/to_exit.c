// The start of an exit-path single-step, shared by the benchmarks that
// count one exit's instructions function by function.

#include <stdint.h>

#include "bench.h"
#include "rsp.h"

int bench_to_exit(struct rsp_client *c, uint64_t at, uint64_t vector, int ms) {
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
