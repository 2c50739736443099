// Stage 3: recording exits (the layout is explained in trace.h).

#include "defs.h"
#include "riscv.h"
#include "run.h"

struct exit_trace exit_trace = {
    .magic = TRACE_MAGIC,
    .version = TRACE_VERSION,
    .record_size = sizeof(struct exit_record),
    .capacity = TRACE_CAP,
    .ncount = TRACE_NCOUNT,
    .counts_off = offsetof(struct exit_trace, count),
    .ring_off = offsetof(struct exit_trace, ring),
};

// Print the counters: one line per cause seen. Kept out of line so that
// host tools (the grader) can stop here and read the final counts.
__attribute__((noinline)) void trace_summary(void) {
  printf("hv: exit trace: %lu exits", exit_trace.total);
  for (unsigned i = 0; i < TRACE_NCOUNT; i++) {
    if (exit_trace.count[i] == 0)
      continue;
    u64 cause = i < 32 ? i : (1UL << 63) | (i - 32);
    printf(", %s %lu", i == TRACE_OTHER ? "other" : hv_cause_name(cause),
           exit_trace.count[i]);
  }
  printf("\n");
}
