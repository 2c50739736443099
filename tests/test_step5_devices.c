// Stage 5's devices (step5-devices/vuart.c, vplic.c, vtest.c) as a guest
// sees them: tests/guests/devtest probes virt's 16550A UART, PLIC and
// power-off device from inside, natively under QEMU and under stage 5,
// and must print the same PASS lines in both -- on one hart and on four,
// where every hart claims the UART's interrupt at once. (The models are
// student-changeable files, so they are tested only inside a guest: no
// host program compiles them.)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"
#include "harness.h"

static void path(char *buf, size_t n, const char *rel) {
  snprintf(buf, n, "%s/%s", build_dir(), rel);
}

// A temporary file name of this test's own.
static void tmpname(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "%s/tmp-devtest-%s-%d", build_dir(), what, (int)getpid());
}

// Package devtest for stage 5 with boot arguments args.
static int pack(const char *pkg, const char *args) {
  char cmd[1024], elf[256];
  path(elf, sizeof elf, "guests/devtest.elf");
  snprintf(cmd, sizeof cmd, "%s/host/guestpack --args '%s' %s %s >/dev/null",
           build_dir(), args, elf, pkg);
  int st = system(cmd);
  return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

// devtest natively (OpenSBI, QEMU's devices), on harts harts.
static void run_native(int harts, const char *args, struct qemu_proc *p) {
  char elf[256];
  path(elf, sizeof elf, "guests/devtest.elf");
  struct qemu_cfg cfg = {
      .kernel = elf, .smp = harts, .append = args, .timeout = 120};
  memset(p, 0, sizeof *p);
  CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
}

// devtest under stage 5 (our devices), on harts harts.
static void run_stage5(int harts, const char *args, struct qemu_proc *p) {
  char kernel[256], pkg[256];
  path(kernel, sizeof kernel, "step5/hv.elf");
  tmpname(pkg, sizeof pkg, "pkg");
  memset(p, 0, sizeof *p);
  CHECK(pack(pkg, args) == 0, "guestpack failed");
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {
      .kernel = kernel, .smp = harts, .extra = extra, .timeout = 120};
  CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
  unlink(pkg);
}

static void need_stage5(void) {
  char kernel[256];
  path(kernel, sizeof kernel, "step5/hv.elf");
  if (access(kernel, R_OK) != 0)
    SKIP("stage 5 is not built");
}

// The "devtest: PASS/FAIL" lines of a console, but for hvlab's own
// ("devtest: PASS hvlab: ..."), which only run under stage 5.
static void result_lines(const char *out, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (const char *s = out; s && (s = strstr(s, "devtest: ")) != NULL;) {
    const char *e = strchr(s, '\n');
    size_t k = e ? (size_t)(e - s + 1) : strlen(s);
    int keep = (!strncmp(s, "devtest: PASS ", 14) ||
                !strncmp(s, "devtest: FAIL ", 14)) &&
               strncmp(s + 14, "hvlab: ", 7) != 0;
    if (keep && len + k < n) {
      memcpy(buf + len, s, k);
      len += k;
      buf[len] = 0;
    }
    s += k;
  }
}

// The same checks natively and under stage 5, all passing in both; p is
// the run under stage 5, for more checks (the caller frees it).
static void same_as_native(int harts, struct qemu_proc *p) {
  static char want[8192], got[8192];
  struct qemu_proc n;
  run_native(harts, "", &n);
  result_lines(n.out, want, sizeof want);
  CHECK(n.status == 0 && strstr(want, "devtest: PASS") &&
            !strstr(want, "devtest: FAIL"),
        "natively: status %d, lines:\n%s", n.status, want);
  qemu_free(&n);
  run_stage5(harts, "", p);
  result_lines(p->out, got, sizeof got);
  CHECK(strcmp(want, got) == 0, "natively:\n%sunder stage 5:\n%s", want, got);
  EXPECT_OUT(p, "^devtest: PASS hvlab: a 32-bit load from the UART faults");
  EXPECT_OUT(p, "^devtest: PASS hvlab: a load from a hole in the PLIC");
  EXPECT_OUT(p, "^devtest: [0-9]+ passed, 0 failed");
  EXPECT_OUT(p, "^hv: guest 'devtest.elf' powered off \\(status 0\\)");
  EXPECT_OUT(p, "^step5: PASS: guest 'devtest.elf' ran on");
  EXPECT_STATUS(p, 0);
}

TEST(step5_devices_one_hart_as_native) {
  need_stage5();
  struct qemu_proc p;
  same_as_native(1, &p);
  EXPECT_OUT(&p, "^devtest: one hart only$");
  qemu_free(&p);
}

// Four vCPUs on four physical harts: each sees the UART's interrupt
// through its own PLIC context, they claim it all at once, through the
// MMIO path, and no claim collides with another.
TEST(step5_devices_four_harts_as_native) {
  need_stage5();
  struct qemu_proc p;
  same_as_native(4, &p);
  EXPECT_OUT(&p, "^devtest: 4 harts claim the UART's interrupt at once$");
  EXPECT_OUT(&p, "^devtest: PASS no source was claimed by two harts at once");
  EXPECT_OUT(&p, "^devtest: PASS every hart saw the external interrupt");
  EXPECT_OUT(&p, "^devtest: PASS hvlab: a hart stopped with an interrupt "
                 "pending hears of it when started again");
  // A hart stops while the guest's line is open: the hypervisor's line
  // about it starts a line of its own, and the guest's goes on after it.
  int apart = 0;
  for (int h = 1; h < 4; h++) {
    char want[256];
    snprintf(want, sizeof want,
             "devtest: this line is open while a hart stops,\r\n"
             "hv: vCPU %d stopped (SBI HSM hart_stop)\r\n and goes on\n",
             h);
    apart |= p.out && strstr(p.out, want) != NULL;
  }
  CHECK(apart, "the hypervisor's line about the stopped hart is not a line "
               "of its own between the guest's two halves");
  long claims = output_num(&p, "^devtest: claims per hart: ([0-9]+)");
  CHECK(claims > 0, "no claims: %ld", claims);
  long loads = output_num(&p, "load guest-page fault ([0-9]+)");
  CHECK(loads > 1000, "%ld load exits for the guest's device reads", loads);
  qemu_free(&p);
}

// sifive_test: a failure code and a reset request stop the guest as
// failed, saying which; the stage then fails (QEMU status 1).
TEST(step5_devices_poweroff_codes) {
  need_stage5();
  struct qemu_proc p;
  run_stage5(1, "end=7", &p);
  EXPECT_OUT(&p, "^hv: guest 'devtest.elf' powered off reporting failure "
                 "\\(status 7\\)");
  EXPECT_OUT(&p, "^step5: FAIL: guest 'devtest.elf'");
  EXPECT_STATUS(&p, 1);
  qemu_free(&p);
  run_stage5(1, "end=reset", &p);
  EXPECT_OUT(&p, "^hv: guest 'devtest.elf' asked for a reset; stopping it "
                 "instead \\(status 1\\)");
  EXPECT_STATUS(&p, 1);
  qemu_free(&p);
  // Natively, the same failure code is QEMU's exit status.
  run_native(1, "end=7", &p);
  EXPECT_STATUS(&p, 7);
  qemu_free(&p);
}

// A guest that waits in wfi for its UART's receive interrupt (as an idle
// kernel does) gets what is typed: the host console's interrupt wakes the
// hart, the bytes reach the guest's FIFO, the PLIC interrupts the vCPU.
// More than a FIFO's worth, at once: the rest waits on the host, and
// nothing is lost. On 2 harts, natively and under stage 5.
static void type_a_line(int stage5) {
  char elf[256], kernel[256], pkg[256];
  path(elf, sizeof elf, "guests/devtest.elf");
  path(kernel, sizeof kernel, "step5/hv.elf");
  tmpname(pkg, sizeof pkg, "typepkg");
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {
      .kernel = elf, .smp = 2, .append = "type", .timeout = 120};
  if (stage5) {
    CHECK(pack(pkg, "type") == 0, "guestpack failed");
    cfg = (struct qemu_cfg){
        .kernel = kernel, .smp = 2, .extra = extra, .timeout = 120};
  }
  const char *line = "the quick brown fox jumps over the lazy dog 0123456789";
  char want[128], typed[128];
  snprintf(want, sizeof want, "devtest: typed '%s'", line);
  snprintf(typed, sizeof typed, "%s\r", line);
  struct expect e;
  int ok = expect_qemu(&e, &cfg) == 0 &&
           expect(&e, "devtest: type a line", 60) == 0 &&
           expect_send(&e, typed, 10) == 0 && expect(&e, want, 30) == 0;
  CHECK(ok, "%s: %s", stage5 ? "stage 5" : "natively", e.err);
  int st = expect_end(&e, 30);
  CHECK(st == 0, "%s: exit status %d: %s", stage5 ? "stage 5" : "natively", st,
        e.err);
  if (!ok || st != 0)
    expect_show(&e, stdout, 20);
  expect_free(&e);
  unlink(pkg);
}

TEST(step5_devices_typed_line_wakes_a_waiting_guest) {
  need_stage5();
  type_a_line(0);
  type_a_line(1);
}
