// Stage 5's costs, each measured against something in the same run:
//
// uboot_boot   Debian's U-Boot from QEMU's start to its `=>` prompt, under
//              stage 5 over the same boot natively (goal <= 2.0x). Wall
//              times, so runs alternate and each figure is a median.
// uart_write   instructions per emulated UART register write, exact under
//              -icount shift=0 (bench/guests/uartbench.c), and where the
//              optimised build's go: one write single-stepped through
//              the gdbstub from the exit vector to the sret, each
//              instruction put down to its innermost function (DWARF).
// timer_tick   the hypervisor's exits per guest timer tick, with the
//              guest's own stimecmp (Sstc) and through SBI set_timer
//              (bench/guests/timerbench.c): the exit counts of two runs
//              that differ only in the number of ticks, differenced.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "elfsym.h"
#include "expect.h"
#include "qemu.h"
#include "rsp.h"
#include "srcmap.h"

#define UBOOT "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
#define BOOT_GOAL 2.0
// Stage 5's boot argument that hides Sstc from the guest.
#define SSTC_OFF "sstc=off"

static const char *opt_dir(void) {
  const char *o = getenv("HVLAB_BUILD_OPT");
  return o && *o ? o : "build-opt";
}

// Stage 5's image in build directory dir, or NULL (said why) if there is
// none yet.
static const char *stage5(const char *dir, char *buf, size_t n) {
  snprintf(buf, n, "%s/step5/hv.elf", dir);
  if (access(buf, R_OK) == 0)
    return buf;
  printf("  (no %s: stage 5 is not built%s)\n", buf,
         access("step5-devices/main.c", F_OK) ? ", it does not exist yet" : "");
  return NULL;
}

// Package guest image `image` for stage 5 (tools/guestpack) into pkg.
static int pack(const char *image, const char *tag, char *pkg, size_t n) {
  snprintf(pkg, n, "%s/tmp-bench-%s-%d.pkg", bench_build_dir(), tag,
           (int)getpid());
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/host/guestpack %s %s >/dev/null",
           bench_build_dir(), image, pkg);
  if (system(cmd) != 0) {
    printf("bench: guestpack %s failed\n", image);
    return -1;
  }
  return 0;
}

// ---- U-Boot boot to prompt ---------------------------------------------------

// One boot: seconds from QEMU's start to "Hit any key to stop autoboot",
// and from the key sent to the prompt. Powers off at the prompt.
static int boot_once(const struct qemu_cfg *cfg, double *hit, double *prompt) {
  struct expect e;
  int ok = expect_qemu(&e, cfg) == 0 &&
           expect(&e, "Hit any key to stop autoboot", 120) == 0;
  if (ok)
    *hit = now_seconds() - e.p.start;
  double t = now_seconds();
  ok = ok && expect_send(&e, " ", 5) == 0 && expect(&e, "=> ", 60) == 0;
  if (ok)
    *prompt = now_seconds() - t;
  ok = ok && expect_type(&e, "poweroff\r", 10) == 0 && expect_end(&e, 30) == 0;
  if (!ok) {
    printf("bench: %s: %s\n", cfg->kernel, e.err);
    expect_show(&e, stdout, 10);
  }
  expect_free(&e);
  return ok ? 0 : -1;
}

#define REPS 5
#define NCFG 3

// The run whose total is the median of n (n odd).
static int median_run(const double *total, int n) {
  for (int i = 0; i < n; i++) {
    int below = 0, same = 0;
    for (int j = 0; j < n; j++)
      below += total[j] < total[i], same += total[j] == total[i];
    if (below <= n / 2 && below + same > n / 2)
      return i;
  }
  return 0;
}

BENCH(uboot_boot, "Debian's U-Boot, QEMU start to the => prompt, under stage "
                  "5 (optimised and teaching builds) over natively, medians "
                  "of alternating runs (goal <= 2.0x)") {
  if (access(UBOOT, R_OK) != 0) {
    printf("bench: %s missing (mk/deps.sh u-boot-qemu)\n", UBOOT);
    return 1;
  }
  char opt[256], teach[256], pkg[256];
  const char *elf[NCFG] = {UBOOT, stage5(opt_dir(), opt, sizeof opt),
                           stage5(bench_build_dir(), teach, sizeof teach)};
  const char *label[NCFG] = {"natively", "stage 5, optimised",
                             "stage 5, teaching"};
  if (!elf[1] && !elf[2])
    printf("  (natively only)\n");
  else if (pack(UBOOT, "uboot", pkg, sizeof pkg) < 0)
    return 1;
  const char *extra[] = {"-initrd", pkg, NULL};
  double hit[NCFG][REPS], prompt[NCFG][REPS], total[NCFG][REPS];
  int rc = 0;
  for (int r = 0; r < REPS && !rc; r++)
    for (int c = 0; c < NCFG && !rc; c++) {
      if (!elf[c])
        continue;
      struct qemu_cfg cfg = {
          .kernel = elf[c], .extra = c ? extra : NULL, .timeout = 240};
      rc = boot_once(&cfg, &hit[c][r], &prompt[c][r]);
      total[c][r] = hit[c][r] + prompt[c][r];
    }
  if (elf[1] || elf[2])
    unlink(pkg);
  if (rc)
    return 1;
  double native = total[0][median_run(total[0], REPS)], opt_total = 0;
  for (int c = 0; c < NCFG; c++) {
    if (!elf[c])
      continue;
    int m = median_run(total[c], REPS);
    printf("  %-19s %.3fs to \"Hit any key\" + %.3fs from the key to \"=> \" "
           "= %.3fs",
           label[c], hit[c][m], prompt[c][m], total[c][m]);
    if (c)
      printf("  %.2fx native", total[c][m] / native);
    printf("\n");
    if (c == 1)
      opt_total = total[c][m];
  }
  printf("  (each the median of %d runs by the total, the runs alternating)\n",
         REPS);
  if (elf[1])
    printf("  goal <= %.1fx (optimised build): %s\n", BOOT_GOAL,
           opt_total <= BOOT_GOAL * native ? "met" : "NOT met");
  return 0;
}

// ---- UART register writes ----------------------------------------------------

// Run an -icount guest: natively (pkg NULL: the ELF itself) or under
// stage 5 with the package. Returns its console, or NULL (said why).
static char *run_icount(const char *kernel, const char *pkg,
                        const char *append) {
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {.kernel = kernel,
                         .append = append,
                         .extra = pkg ? extra : NULL,
                         .icount = 1,
                         .timeout = 240};
  struct qemu_proc p;
  if (qemu_run(&cfg, &p) < 0) {
    perror("bench: qemu-system-riscv64");
    return NULL;
  }
  char why[96], *out = NULL;
  if (p.status == 0 && p.out)
    out = strdup(p.out);
  else {
    printf("bench: %s%s%s: %s; its console ends:\n", kernel, append ? " " : "",
           append ? append : "", qemu_verdict(&p, why, sizeof why));
    const char *t = p.out ? p.out + p.len : NULL;
    for (int lines = 0; t && t > p.out && lines < 4;)
      lines += *--t == '\n';
    printf("%s\n", t ? t : "");
  }
  qemu_free(&p);
  return out;
}

// The uartbench guest's figure, times 100; -1 if it did not report.
static long uart_cost(const char *label, const char *kernel, const char *pkg) {
  char *out = run_icount(kernel, pkg, NULL);
  long n = 0, w = -1, empty = -1, back = -1, wrote = -2;
  const char *s = out ? strstr(out, "uartbench: ") : NULL;
  if (s)
    sscanf(s,
           "uartbench: %ld writes: %ld instructions, empty loop %ld, scratch "
           "reads back %ld (wrote %ld)",
           &n, &w, &empty, &back, &wrote);
  free(out);
  if (n <= 0 || w < 0 || empty < 0) {
    printf("bench: %s: the uartbench guest did not report\n", label);
    return -1;
  }
  long x100 = (w - empty) * 100 / n;
  printf("  %-19s %ld.%02ld instructions per write to the scratch register "
         "(%ld writes: %ld, the empty loop %ld)%s\n",
         label, x100 / 100, x100 % 100, n, w, empty,
         back == wrote ? "" : "  (the register did NOT read back!)");
  return x100;
}

// Step one emulated write in the optimised build (see the top), and
// print the instructions per innermost function, most first.
#define MAXF 64
static int uart_breakdown(const char *elf, const char *pkg) {
  char err[256];
  struct elfsym *es = elfsym_open(elf, err, sizeof err);
  struct srcmap *sm = es ? srcmap_open(elf, err, sizeof err) : NULL;
  uint64_t vector, uart, size;
  if (!sm || elfsym_lookup(es, "hv_vector", &vector, &size) < 0 ||
      elfsym_lookup(es, "vuart_access", &uart, &size) < 0) {
    printf("bench: %s: %s\n", elf, sm ? "no hv_vector or vuart_access" : err);
    srcmap_close(sm);
    elfsym_close(es);
    return -1;
  }
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {.kernel = elf,
                         .extra = extra,
                         .gdb_port = QEMU_GDB_AUTO,
                         .halted = 1,
                         .timeout = 120};
  struct qemu_proc q;
  struct rsp_client c;
  struct rsp_stop st;
  const char *name[MAXF];
  long count[MAXF], total = 0;
  int nf = 0, rc = -1;
  // The first write (the guest's warm-up), the second (the loop's
  // first), then the exit of the third, from its first instruction.
  if (bench_start_at_exit(&cfg, &q, &c, uart, vector, 30000) < 0)
    goto out_sym;
  for (;;) {
    uint64_t pc, off;
    uint32_t w = 0;
    if (rsp_read_reg_name(&c, "pc", &pc) < 0) {
      printf("bench: gdbstub: %s\n", rsp_error(&c));
      goto out_rsp;
    }
    if (total == 20000) {
      printf("bench: no sret after 20000 steps\n");
      goto out_rsp;
    }
    const char *func = NULL, *file = NULL;
    int line = 0;
    srcmap_lookup(sm, pc, &func, &file, &line);
    if (!func)
      func = elfsym_func_at(es, pc, &off);
    if (!func)
      func = "?";
    int i = 0;
    while (i < nf && strcmp(name[i], func) != 0)
      i++;
    if (i == nf && nf < MAXF)
      name[nf] = func, count[nf++] = 0;
    if (i < nf)
      count[i]++;
    total++;
    if (elfsym_read(es, pc, &w, 4) == 0 && w == 0x10200073)
      break;  // sret: back to the guest
    if (rsp_step(&c, &st) < 0) {
      printf("bench: gdbstub: %s\n", rsp_error(&c));
      goto out_rsp;
    }
  }
  printf("    one write in the optimised build, single-stepped: %ld "
         "instructions from hv_vector to sret, by function:\n",
         total);
  for (int shown = 0; shown < 12; shown++) {
    int best = -1;
    for (int i = 0; i < nf; i++)
      if (count[i] > 0 && (best < 0 || count[i] > count[best]))
        best = i;
    if (best < 0)
      break;
    printf("      %5ld  %s\n", count[best], name[best]);
    count[best] = -count[best];
  }
  long rest = 0;
  for (int i = 0; i < nf; i++)
    rest += count[i] > 0 ? count[i] : 0;
  if (rest)
    printf("      %5ld  (the rest)\n", rest);
  rc = 0;
out_rsp:
  rsp_kill(&c);
  rsp_close(&c);
  qemu_free(&q);
out_sym:
  srcmap_close(sm);
  elfsym_close(es);
  return rc;
}

BENCH(uart_write, "instructions per guest write to the emulated UART's "
                  "scratch register under stage 5, exact under -icount "
                  "shift=0: optimised and teaching builds, natively beside") {
  char guest[256], opt[256], teach[256], pkg[256];
  snprintf(guest, sizeof guest, "%s/bench-guests/uartbench.elf",
           bench_build_dir());
  if (uart_cost("natively", guest, NULL) < 0)
    return 1;
  const char *o = stage5(opt_dir(), opt, sizeof opt);
  const char *t = stage5(bench_build_dir(), teach, sizeof teach);
  if (!o && !t)
    return 0;
  if (pack(guest, "uart", pkg, sizeof pkg) < 0)
    return 1;
  long co = o ? uart_cost("stage 5, optimised", o, pkg) : 0;
  if (co > 0 && uart_breakdown(o, pkg) < 0)
    co = -1;
  long ct = t ? uart_cost("stage 5, teaching", t, pkg) : 0;
  unlink(pkg);
  if (co > 0 && ct > 0)
    printf("  teaching / optimised: %.2fx\n", (double)ct / (double)co);
  return co < 0 || ct < 0;
}

// ---- Exits per timer tick ------------------------------------------------------

// The counters of the stage's exit-trace line ("hv: exit trace: N exits,
// cause c, ..."): the total, and up to 16 causes with their counts.
struct counts {
  long total;
  int n;
  char cause[16][48];
  long count[16];
};

static int parse_trace(const char *out, struct counts *c) {
  memset(c, 0, sizeof *c);
  const char *s = out ? strstr(out, "hv: exit trace: ") : NULL;
  if (!s || sscanf(s, "hv: exit trace: %ld exits", &c->total) != 1)
    return -1;
  const char *end = strchr(s, '\n');
  for (s = strchr(s, ','); s && (!end || s < end) && c->n < 16;
       s = strchr(s + 1, ',')) {
    // ", <cause words> <count>"
    const char *e = s + 1;
    while (*e && *e != ',' && *e != '\n' && *e != '\r')
      e++;
    const char *sp = e;
    while (sp > s && sp[-1] != ' ')
      sp--;
    int len = (int)(sp - (s + 2)) - 1;
    if (len <= 0 || len >= 48)
      continue;
    snprintf(c->cause[c->n], sizeof c->cause[0], "%.*s", len, s + 2);
    c->count[c->n++] = strtol(sp, NULL, 10);
  }
  return 0;
}

static long count_of(const struct counts *c, const char *cause) {
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->cause[i], cause) == 0)
      return c->count[i];
  return 0;
}

#define TICKS_LO 100
#define TICKS_HI 200

// Exits per tick for a guest (MODE-IDLE, as bench/guests/ builds them)
// under hypervisor kernel with boot arguments append: runs with TICKS_LO
// and TICKS_HI ticks.
static int per_tick(const char *kernel, const char *mode, const char *append,
                    const char *label) {
  struct counts c[2];
  int ticks[2] = {TICKS_LO, TICKS_HI};
  for (int i = 0; i < 2; i++) {
    char guest[256], pkg[256], tag[32];
    snprintf(guest, sizeof guest, "%s/bench-guests/timer-%s-%d.elf",
             bench_build_dir(), mode, ticks[i]);
    snprintf(tag, sizeof tag, "timer-%s-%d", mode, ticks[i]);
    if (pack(guest, tag, pkg, sizeof pkg) < 0)
      return -1;
    char *out = run_icount(kernel, pkg, append);
    unlink(pkg);
    char want[64];
    snprintf(want, sizeof want, "timerbench: %d ticks", ticks[i]);
    int ok = out && strstr(out, want) && parse_trace(out, &c[i]) == 0;
    if (!ok)
      printf("bench: %s, %d ticks: %s\n", label, ticks[i],
             !out ? "no run"
             : !strstr(out, want)
                 ? "the guest did not report its ticks"
                 : "no \"hv: exit trace:\" line from the stage");
    free(out);
    if (!ok)
      return -1;
  }
  int d = TICKS_HI - TICKS_LO;
  printf("    %-32s %.2f exits per tick (%ld exits for %d ticks, %ld for %d)",
         label, (double)(c[1].total - c[0].total) / d, c[1].total, TICKS_HI,
         c[0].total, TICKS_LO);
  const char *sep = ":";
  for (int i = 0; i < c[1].n; i++) {
    long diff = c[1].count[i] - count_of(&c[0], c[1].cause[i]);
    if (diff) {
      printf("%s %s %.2f", sep, c[1].cause[i], (double)diff / d);
      sep = ",";
    }
  }
  printf("\n");
  return 0;
}

BENCH(timer_tick, "the hypervisor's exits per guest timer tick in stage 5: "
                  "the guest's own stimecmp (Sstc) against SBI set_timer, "
                  "and set_timer with Sstc hidden (" SSTC_OFF "), the guest "
                  "idle in wfi or spinning; exact "
                  "counts from the stage's exit trace") {
  char opt[256];
  const char *o = stage5(opt_dir(), opt, sizeof opt);
  if (!o)
    return 0;
  int r = 0;
  for (int wfi = 1; wfi >= 0; wfi--) {
    printf("  the guest %s:\n",
           wfi ? "waits for each tick with wfi" : "spins between ticks");
    const char *idle = wfi ? "wfi" : "spin";
    char m[32];
    snprintf(m, sizeof m, "sstc-%s", idle);
    r |= per_tick(o, m, NULL, "stimecmp, Sstc on");
    snprintf(m, sizeof m, "sbi-%s", idle);
    r |= per_tick(o, m, NULL, "SBI set_timer, Sstc on");
    r |= per_tick(o, m, SSTC_OFF, "SBI set_timer, " SSTC_OFF);
  }
  return r ? 1 : 0;
}
