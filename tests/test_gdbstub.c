// The RSP client against QEMU's real gdbstub: stage 1 booted halted,
// the register table from target.xml, breakpoints, registers, memory,
// a timeout, an interrupt, stepping over a breakpoint, a monitor command
// and kill.

#include <stdio.h>
#include <string.h>

#include "elfsym.h"
#include "harness.h"
#include "net.h"
#include "rsp.h"
#include "rvdecode.h"

static struct rsp_client c;  // about 50 KB
static struct rsp_stop st;

// CHECK a client call, saying what the client said if it failed.
#define OK(call) CHECK((call) >= 0, "%s: %s", #call, rsp_error(&c))

static uint64_t reg(const char *name) {
  uint64_t v = 0xdeadbeef;
  OK(rsp_read_reg_name(&c, name, &v));
  return v;
}

// The checks on a connected client, stopped at QEMU's reset vector.
static void session(struct elfsym *e) {
  // The table from target.xml and its includes, as QEMU 7.2 numbers it.
  CHECK(c.packet_size == 0x1000, "PacketSize %#zx", c.packet_size);
  static const struct {
    const char *name;
    int num;
  } nums[] = {{"x0", 0},         {"zero", 0},       {"sp", 2},
              {"s0", 8},         {"t6", 31},        {"pc", 32},
              {"f0", 33},        {"ft0", 33},       {"f31", 64},
              {"priv", 65},      {"sepc", 387},     {"scause", 388},
              {"vsstatus", 578}, {"hstatus", 1602}, {"hgatp", 1730}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    CHECK(rsp_reg_num(&c, nums[i].name) == nums[i].num, "%s is %d, not %d",
          nums[i].name, rsp_reg_num(&c, nums[i].name), nums[i].num);
  CHECK(reg("pc") == 0x1000, "reset pc %#llx", (unsigned long long)reg("pc"));
  uint64_t v;
  CHECK(rsp_read_reg(&c, 9999, &v) == RSP_EREPLY && c.enn == 0x14,
        "register 9999: %s", rsp_error(&c));

  // Stop at the stage's C entry. (stage_main, unless the build inlined it
  // into boot: then boot, which entry.S calls, so it always exists.)
  uint64_t at;
  const char *fn = "stage_main";
  if (elfsym_lookup(e, fn, &at, NULL) < 0)
    CHECK(elfsym_lookup(e, fn = "boot", &at, NULL) == 0, "no boot symbol");
  unsigned char want[16], got[16];
  CHECK(elfsym_read(e, at, want, sizeof want) == 0, "%s not in the file", fn);
  int kind = rv_insn_len(want[0] | want[1] << 8);
  OK(rsp_break_insert(&c, RSP_BP_SW, at, kind));
  OK(rsp_continue(&c));
  OK(rsp_wait_stop(&c, &st, 10000));
  CHECK(st.kind == 'T' && st.sig == 5, "stop %c%02x", st.kind, st.sig);
  CHECK(reg("pc") == at, "stopped at %#llx, not %s %#llx",
        (unsigned long long)reg("pc"), fn, (unsigned long long)at);

  // The H extension is on: hstatus has VSXL = 2 (64-bit guests).
  CHECK(reg("hstatus") == 0x200000000ull, "hstatus %#llx",
        (unsigned long long)reg("hstatus"));
  CHECK(reg("priv") == 1, "priv %llu: not S-mode",
        (unsigned long long)reg("priv"));
  uint64_t g[40];
  int ng = rsp_read_gregs(&c, g, 40);
  CHECK(ng == 33 && g[32] == at && g[0] == 0 && g[2] == reg("sp"),
        "g: %d registers, pc %#llx", ng, (unsigned long long)g[32]);

  // Memory at pc is the image's bytes (software breakpoints in QEMU do
  // not patch memory).
  OK(rsp_read_mem(&c, at, got, sizeof got));
  CHECK(memcmp(got, want, sizeof got) == 0, "memory at %s differs from the ELF",
        fn);
  // A bigger read crosses the packet size: several m packets.
  static unsigned char big[10000], bigwant[10000];
  uint64_t text;
  CHECK(elfsym_lookup(e, "_start", &text, NULL) == 0, "_start");
  OK(rsp_read_mem(&c, text, big, 4096));
  CHECK(elfsym_read(e, text, bigwant, 4096) == 0 &&
            memcmp(big, bigwant, 4096) == 0,
        "4 KB at _start differ");

  // Continuing from a breakpoint stops on it again at once (QEMU 7.2).
  OK(rsp_continue(&c));
  OK(rsp_wait_stop(&c, &st, 5000));
  CHECK(reg("pc") == at, "did not re-stop at %s", fn);

  // Registers write and read back.
  uint64_t t6 = reg("t6");
  OK(rsp_write_reg_name(&c, "t6", 0x1122334455667788ull));
  CHECK(reg("t6") == 0x1122334455667788ull, "t6 %#llx",
        (unsigned long long)reg("t6"));
  OK(rsp_write_reg_name(&c, "t6", t6));

  // Make pc a tight loop (c.j 0): continue, time out, interrupt.
  static const unsigned char loop[2] = {0x01, 0xa0};
  OK(rsp_write_mem(&c, at, loop, 2));
  OK(rsp_read_mem(&c, at, got, 2));
  CHECK(got[0] == 0x01 && got[1] == 0xa0, "write did not stick");
  OK(rsp_break_remove(&c, RSP_BP_SW, at, kind));
  OK(rsp_continue(&c));
  CHECK(rsp_wait_stop(&c, &st, 200) == RSP_ETIMEOUT, "no timeout: %s",
        rsp_error(&c));
  CHECK(rsp_read_reg_name(&c, "pc", &v) == RSP_ESTATE, "read while running");
  OK(rsp_interrupt(&c, &st));
  CHECK(st.kind == 'T' && st.sig == 2 && reg("pc") == at, "interrupt: %c%02x",
        st.kind, st.sig);
  OK(rsp_write_mem(&c, at, want, 2));

  // Step over a breakpoint at pc, on to a hardware one two instructions on.
  struct rv_insn i1, i2;
  uint32_t w;
  memcpy(&w, want, 4);
  rv_decode(w, at, &i1);
  memcpy(&w, want + i1.len, 4);
  rv_decode(w, at + i1.len, &i2);
  uint64_t next = at + i1.len + i2.len;
  OK(rsp_break_insert(&c, RSP_BP_SW, at, kind));
  OK(rsp_break_insert(&c, RSP_BP_HW, next, 2));
  OK(rsp_continue_over(&c, RSP_BP_SW, at, kind));
  OK(rsp_wait_stop(&c, &st, 5000));
  CHECK(reg("pc") == next, "stopped at %#llx, not %#llx (%s; %s)",
        (unsigned long long)reg("pc"), (unsigned long long)next, i1.text,
        i2.text);

  // A monitor command, its output from 'O' packets.
  char out[512];
  int n = rsp_monitor(&c, "info status", out, sizeof out);
  CHECK(n > 0 && strstr(out, "VM status: paused"), "monitor: %d '%s' %s", n,
        out, n < 0 ? rsp_error(&c) : "");
}

TEST(gdbstub_session) {
  char elf[256], err[256];
  snprintf(elf, sizeof elf, "%s/step1/hv.elf", build_dir());
  struct elfsym *e = elfsym_open(elf, err, sizeof err);
  CHECK(e != NULL, "%s", err);
  if (!e)
    return;
  struct qemu_cfg cfg = {
      .kernel = elf, .gdb_port = QEMU_GDB_AUTO, .halted = 1, .timeout = 60};
  struct qemu_proc q;
  if (qemu_start(&cfg, &q) < 0) {
    CHECK(0, "cannot start QEMU");
    elfsym_close(e);
    return;
  }
  CHECK(q.gdb_port > 0, "no gdbstub port chosen");
  if (rsp_connect(&c, "localhost", q.gdb_port, 5000) < 0) {
    qemu_pump(&q, 100);
    CHECK(0, "connect: %s; QEMU said: %s", rsp_error(&c), q.out);
  } else {
    session(e);
    double t0 = now_seconds();
    OK(rsp_kill(&c));
    qemu_wait(&q);
    CHECK(q.exited && !q.timed_out && now_seconds() - t0 < 5,
          "QEMU still there after kill");
  }
  rsp_close(&c);
  qemu_free(&q);
  elfsym_close(e);
}

// Errors come back as errors, not hangs.
TEST(gdbstub_errors) {
  int port = free_tcp_port();
  double t0 = now_seconds();
  CHECK(rsp_connect(&c, "localhost", port, 300) == RSP_EIO &&
            strstr(rsp_error(&c), "cannot connect"),
        "nothing listening: %s", rsp_error(&c));
  CHECK(now_seconds() - t0 < 3, "connect gave up after %.1fs",
        now_seconds() - t0);
}
