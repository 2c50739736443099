// Stage 3: the C guests' little library: printing and shutting down,
// all through SBI calls, the way a kernel running on firmware would.

#include "guest.h"

long guest_exits;

void gputs(const char *s) {
  for (; *s; s++)
    gcall(SBI_EXT_LEGACY_PUTCHAR, 0, (u8)*s, 0);
}

void gputdec(long v) {
  char buf[24];
  int n = 0;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  do {
    buf[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    buf[n++] = '-';
  char out[24];
  for (int i = 0; i < n; i++)
    out[i] = buf[n - 1 - i];
  out[n] = 0;
  gputs(out);
}

void gputhex(u64 v) {
  char out[19] = "0x";
  for (int i = 0; i < 16; i++)
    out[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
  out[18] = 0;
  gputs(out);
}

static int test_no;

// Print "PASS name" or "FAIL name" and tell the workbench.
int gtest(const char *name, int ok) {
  gputs(ok ? "PASS " : "FAIL ");
  gputs(name);
  gputs("\n");
  gcall(SBI_EXT_HVLAB, HVLAB_TEST, (u64)++test_no, ok ? 1 : 0);
  return ok;
}

void gshutdown(int failed) {
  gcall(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
        failed ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
  for (;;)  // not reached: the hypervisor does not resume a shut-down guest
    ;
}
