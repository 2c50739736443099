// Reading the hypervisor's exit trace (include/hvlab/trace.h) from the host.
//
// The trace describes itself so that readers do not break when it grows:
// this checks a header read from target memory and says where the
// counters and the ring are. The monitor and the grader both use it, so
// they agree on what a sane trace is.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hvlab/trace.h"

// Where things are, relative to the symbol `exit_trace`.
struct trace_layout {
  uint32_t version;
  uint32_t record_size;  // bytes per ring record (at least 48)
  uint32_t capacity;     // records in the ring: a power of two
  uint32_t ncount;       // counters
  uint32_t counts_off;   // offset of count[0]
  uint32_t ring_off;     // offset of ring[0]
  uint32_t total_off;    // offset of the u64 total
};

// The bytes to read for trace_layout_parse: the fixed header.
#define TRACE_HEADER_BYTES 40

// Check the header bytes hdr[0..n) of a trace whose symbol is symsize bytes
// long (0 if unknown). Returns 0 and fills *out, or -1 with a reason in err
// (no magic yet: the hypervisor has not started; or fields that make no
// sense, or that point outside the symbol).
int trace_layout_parse(const void *hdr, size_t n, uint64_t symsize,
                       struct trace_layout *out, char *err, size_t errlen);
