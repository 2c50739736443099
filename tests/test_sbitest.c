// sbitest (step5-devices/guest/sbitest.c, stage 5's built-in guest), an S-mode
// program that checks an SBI implementation against the SBI specification, run
// natively under QEMU's OpenSBI and under stage 5: whatever passes natively
// must pass under the hypervisor too, and the hypervisor adds DBCN (and SBI
// v2.0's error for a hart mask naming no hart). hostile5
// (tests/guests/hostile5.c) misbehaves on purpose under stage 5: errors and
// faults as the specs say, never a hypervisor crash.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

// ---- A run's check lines -------------------------------------------------------
#define MAXCHK 80
struct sbires {
  int n;
  char name[MAXCHK][40];
  char verdict[MAXCHK];  // 'o' ok, 'F' FAIL, 's' skip
  char fails[2048];      // the FAIL lines, for the report
  int summary;           // a summary line was seen
  int sum_ok, sum_fail, sum_skip, sum_harts;
};

// A line as the guest printed it: a prefix that a hypervisor puts before
// its guest's console lines ("guest| ", "guest1| ") is dropped.
static const char *unprefixed(const char *s, const char *e) {
  for (const char *q = s; q < e && q - s < 16; q++) {
    if (q[0] == '|' && q + 1 < e && q[1] == ' ')
      return q + 2;
    if (!(q[0] == '_' || q[0] == ' ' || (q[0] >= '0' && q[0] <= '9') ||
          (q[0] >= 'a' && q[0] <= 'z') || (q[0] >= 'A' && q[0] <= 'Z')))
      break;
  }
  return s;
}

static void parse(const char *out, struct sbires *r) {
  memset(r, 0, sizeof *r);
  for (const char *s = out ? out : ""; *s;) {
    const char *e = strchr(s, '\n');
    if (!e)
      e = s + strlen(s);
    char line[512];
    const char *b = unprefixed(s, e);
    size_t len =
        (size_t)(e - b) < sizeof line - 1 ? (size_t)(e - b) : sizeof line - 1;
    memcpy(line, b, len);
    line[len] = 0;
    char *cr = strchr(line, '\r');
    if (cr)
      *cr = 0;
    char name[40];
    char v = 0;
    // (sscanf's " " matches no space too: the word's space is checked.)
    if (!strncmp(line, "ok ", 3) && sscanf(line + 3, "%39[a-z0-9_]", name))
      v = 'o';
    else if (!strncmp(line, "FAIL ", 5) &&
             sscanf(line + 5, "%39[a-z0-9_]", name))
      v = 'F';
    else if (!strncmp(line, "skip ", 5) &&
             sscanf(line + 5, "%39[a-z0-9_]", name))
      v = 's';
    else if (sscanf(line, "sbitest: summary: %d ok, %d FAIL, %d skip on %d",
                    &r->sum_ok, &r->sum_fail, &r->sum_skip, &r->sum_harts) == 4)
      r->summary = 1;
    if (v && r->n < MAXCHK) {
      snprintf(r->name[r->n], sizeof r->name[0], "%s", name);
      r->verdict[r->n++] = v;
    }
    if (v == 'F') {
      size_t k = strlen(r->fails);
      snprintf(r->fails + k, sizeof r->fails - k, "      %s\n", line);
    }
    s = *e ? e + 1 : e;
  }
}

static char verdict_of(const struct sbires *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->name[i], name) == 0)
      return r->verdict[i];
  return 0;
}

static int count(const struct sbires *r, char v) {
  int k = 0;
  for (int i = 0; i < r->n; i++)
    k += r->verdict[i] == v;
  return k;
}

// A clean run on `harts` harts: no FAIL line, a summary that agrees with
// the lines, the legacy console's line.
static void expect_clean(const struct qemu_proc *p, const struct sbires *r,
                         int harts, const char *where) {
  int fails = count(r, 'F');
  CHECK(fails == 0, "%s: FAIL lines:\n%s", where, r->fails);
  CHECK(r->summary, "%s: no summary line (%d check lines)", where, r->n);
  CHECK(r->sum_fail == fails && r->sum_ok == count(r, 'o') &&
            r->sum_skip == count(r, 's'),
        "%s: summary %d ok, %d FAIL, %d skip; lines %d ok, %d FAIL, %d skip",
        where, r->sum_ok, r->sum_fail, r->sum_skip, count(r, 'o'),
        count(r, 'F'), count(r, 's'));
  CHECK(r->sum_harts == harts, "%s: the program found %d harts, not %d", where,
        r->sum_harts, harts);
  CHECK(p->out && strstr(p->out, "sbitest: legacy putchar works"),
        "%s: the legacy console's line is missing", where);
}

static void elf_path(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/guests/%s.elf", build_dir(), name);
}

// A guest natively: QEMU's own firmware (OpenSBI) is the SBI under test.
// OpenSBI 1.1 has a race of its own: on a loaded host, a hart that was
// late to boot can be sent to the kernel's entry (with the device tree)
// instead of to hart_start's address. The guests say so ("entered at the
// boot entry again"); such a run, and only such a run, is done once more.
static void run_guest_natively(const char *name, int harts,
                               struct qemu_proc *p) {
  char elf[256];
  elf_path(elf, sizeof elf, name);
  struct qemu_cfg cfg = {.kernel = elf, .smp = harts, .timeout = 60};
  for (int tries = 0;; tries++) {
    memset(p, 0, sizeof *p);
    CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
    if (tries > 0 || !p->out ||
        !strstr(p->out, "entered at the boot entry again"))
      break;
    printf("    (%s: OpenSBI sent a late hart to the boot entry: once "
           "more)\n",
           name);
    qemu_free(p);
  }
}

static void run_native(int harts, struct qemu_proc *p, struct sbires *r) {
  run_guest_natively("sbitest", harts, p);
  parse(p->out, r);
}

static void native(int harts) {
  struct qemu_proc p;
  static struct sbires r;
  run_native(harts, &p, &r);
  char where[32];
  snprintf(where, sizeof where, "natively on %d hart%s", harts,
           harts == 1 ? "" : "s");
  CHECK(p.status == 0, "%s: status %d", where, p.status);
  expect_clean(&p, &r, harts, where);
  // The checks that must have run here, not been skipped.
  static const char *const must[] = {"base_spec_version",
                                     "base_probe",
                                     "base_unknown_calls",
                                     "trap_illegal_16bit",
                                     "trap_illegal_csr",
                                     "time_set_timer_wakes_wfi",
                                     "time_set_timer_clears_pending",
                                     "time_past_fires_at_once",
                                     "time_all_ones_never",
                                     "ipi_self",
                                     "ipi_all",
                                     "hsm_get_status",
                                     "hsm_bad_hartid",
                                     "rfence_local",
                                     "rfence_hfence",
                                     "hsm_suspend_retentive",
                                     "srst_bad_type",
                                     "legacy_set_timer",
                                     "legacy_clear_ipi",
                                     "legacy_send_ipi"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    CHECK(verdict_of(&r, must[i]) == 'o', "%s: %s is not ok", where, must[i]);
  if (harts > 1) {
    static const char *const multi[] = {"hsm_start",     "ipi_between_harts",
                                        "ipi_all_harts", "hsm_stop",
                                        "hsm_restart",   "hsm_bad_address"};
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++)
      CHECK(verdict_of(&r, multi[i]) == 'o', "%s: %s is not ok", where,
            multi[i]);
  }
  qemu_free(&p);
}

TEST(sbitest_native_1hart) { native(1); }
TEST(sbitest_native_4harts) { native(4); }

// ---- Under stage 5 ---------------------------------------------------------------

// Package a guest for the hypervisor (tools/guestpack); 0 on success.
static int pack(const char *elf, const char *pkg) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/host/guestpack %s %s 2>&1", build_dir(), elf,
           pkg);
  FILE *f = popen(cmd, "r");
  char out[1024];
  size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
  out[len] = 0;
  int st = f ? pclose(f) : -1;
  CHECK(st == 0, "guestpack %s: %s", elf, out);
  return st == 0 ? 0 : -1;
}

// Boot stage 5 with the guest `name` on `harts` vCPUs (one physical hart
// each); SKIP if stage 5 is not built.
static void run_step5(const char *name, int harts, const char *append,
                      struct qemu_proc *p) {
  char kernel[256], elf[256], pkg[256];
  snprintf(kernel, sizeof kernel, "%s/step5/hv.elf", build_dir());
  if (access(kernel, R_OK) != 0)
    SKIP("stage 5 is not built (no step5-devices/main.c yet)");
  elf_path(elf, sizeof elf, name);
  snprintf(pkg, sizeof pkg, "%s/tmp-%s-%d-%d.pkg", build_dir(), name, harts,
           (int)getpid());
  memset(p, 0, sizeof *p);
  if (pack(elf, pkg) < 0)
    return;
  // (GUEST_HARTS=n: the guest has as many harts as QEMU has)
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {.kernel = kernel,
                         .smp = harts,
                         .append = append,
                         .extra = extra,
                         .timeout = 120};
  CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
  unlink(pkg);
  if (getenv("HVTEST_VERBOSE"))
    printf("---- stage 5, %s, %d harts ----\n%s---- end ----\n", name, harts,
           p->out ? p->out : "");
}

// The note of check `name`'s ok line ("ok name (note)"), or "".
// (Whatever follows the closing parenthesis, a '\r' say, is left out.)
static const char *ok_note(const char *out, const char *name, char *buf,
                           size_t n) {
  char key[64];
  snprintf(key, sizeof key, "ok %s (", name);
  const char *s = out ? strstr(out, key) : NULL;
  buf[0] = 0;
  if (s) {
    s += strlen(key);
    size_t k = strcspn(s, "\n");  // up to the line's last ')'
    while (k > 0 && s[k - 1] != ')')
      k--;
    k = k ? k - 1 : 0;
    snprintf(buf, n, "%.*s", (int)(k < n ? k : n - 1), s);
  }
  return buf;
}

// Checks stage 5 must pass beyond what OpenSBI 1.1 offers natively.
static const char *const step5_extra[] = {"dbcn_write", "dbcn_write_byte",
                                          "dbcn_read", "dbcn_bad_address",
                                          "ipi_bad_mask"};

// append: the stage's boot arguments (sstc=off: the guest gets no Sstc,
// its timer goes through SBI alone), or NULL.
static void step5(int harts, const char *append) {
  struct qemu_proc n, p;
  static struct sbires rn, r5;
  run_native(harts, &n, &rn);
  CHECK(rn.summary && count(&rn, 'F') == 0, "natively: not clean:\n%s",
        rn.fails);
  qemu_free(&n);
  int failed = checks_failed();
  run_step5("sbitest", harts, append, &p);
  parse(p.out, &r5);
  char where[80];
  snprintf(where, sizeof where, "under stage 5%s%s on %d hart%s",
           append ? " with " : "", append ? append : "", harts,
           harts == 1 ? "" : "s");
  int nosstc = append && strstr(append, "sstc=off");
  CHECK(p.status == 0, "%s: status %d", where, p.status);
  expect_clean(&p, &r5, harts, where);
  for (int i = 0; i < rn.n; i++)
    if (nosstc && !strcmp(rn.name[i], "sstc_stimecmp"))
      CHECK(verdict_of(&r5, rn.name[i]) == 's',
            "%s: the guest's stimecmp works, or the tree says sstc", where);
    else if (rn.verdict[i] == 'o')
      CHECK(verdict_of(&r5, rn.name[i]) == 'o',
            "%s: %s is ok natively, '%c' here", where, rn.name[i],
            verdict_of(&r5, rn.name[i]) ? verdict_of(&r5, rn.name[i]) : '-');
  for (size_t i = 0; i < sizeof step5_extra / sizeof step5_extra[0]; i++)
    CHECK(verdict_of(&r5, step5_extra[i]) == 'o', "%s: %s is not ok", where,
          step5_extra[i]);
  CHECK(p.out && strstr(p.out, "sbitest: dbcn write works") &&
            strstr(p.out, "sbitest: dbcn write_byte works"),
        "%s: DBCN's lines are missing", where);
  // The guest ends them with CR LF: the line end a terminal wants, not \x0d.
  CHECK(strstr(p.out, "guest| sbitest: dbcn write works\r\n") != NULL,
        "%s: DBCN's CR LF is not shown as a line end", where);
  // QEMU's input is /dev/null here: nothing was typed.
  char note[200];
  CHECK(!strcmp(ok_note(p.out, "dbcn_read", note, sizeof note),
                "0 bytes waiting"),
        "%s: dbcn_read: '%s', not '0 bytes waiting'", where, note);
  CHECK(!strcmp(ok_note(p.out, "legacy_getchar", note, sizeof note),
                "returned -1"),
        "%s: legacy_getchar: '%s', not 'returned -1'", where, note);
  if (checks_failed() > failed)
    show_tail(&p, 40);
  qemu_free(&p);
}

TEST(sbitest_step5_1hart) { step5(1, NULL); }
TEST(sbitest_step5_4harts) { step5(4, NULL); }
// The timer without Sstc: SBI set_timer alone, injected by the hypervisor.
TEST(sbitest_step5_2harts_nosstc) { step5(2, "sstc=off"); }

// ---- hostile5 -----------------------------------------------------------------------

// Natively the program's own judgement holds against OpenSBI, but for one
// known deviation of OpenSBI 1.1: it cuts hart ids to 32 bits.
TEST(hostile5_native) {
  struct qemu_proc p;
  static struct sbires r;
  run_guest_natively("hostile5", 2, &p);
  parse(p.out, &r);
  CHECK(p.status == 0, "status %d", p.status);
  CHECK(strstr(p.out ? p.out : "", "hostile5: summary: ") != NULL,
        "no summary line");
  for (int i = 0; i < r.n; i++)
    CHECK(r.verdict[i] != 'F' || !strcmp(r.name[i], "hsm_hartid_upper_bits"),
          "FAIL lines:\n%s", r.fails);
  static const char *const must[] = {
      "uart_ld_64bit", "nodev_lw",    "hsm_bad_harts", "sbi_unknown_storm",
      "ipi_storm",     "timer_storm", "illegal_storm", "cross_hart_storm"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    CHECK(verdict_of(&r, must[i]) == 'o', "%s is not ok", must[i]);
  qemu_free(&p);
}

// Under stage 5: no panic (status 3) or other end than the guest's own
// shutdown; every case answered as the specs say, device accesses where
// the guest has no device with the access faults (5 for a load, 7 for a
// store), bad pointers and harts with SBI_ERR_INVALID_PARAM.
static void hostile_step5(int harts, const char *append) {
  struct qemu_proc p;
  static struct sbires r;
  int failed = checks_failed();
  run_step5("hostile5", harts, append, &p);
  parse(p.out, &r);
  const char *out = p.out ? p.out : "";
  CHECK(p.status == 0, "status %d%s", p.status,
        p.status == 3 ? " (a hypervisor panic)" : "");
  CHECK(!strstr(out, "hypervisor panic"), "the hypervisor panicked");
  // The guest's summary, then its own SRST shutdown, then the stage's end.
  const char *sum = strstr(out, "hostile5: summary: ");
  const char *down =
      strstr(out, "hv: guest 'hostile5.elf' shut down (status 0)");
  CHECK(sum != NULL, "no summary line: the guest did not end by itself");
  CHECK(sum && down && down > sum && strstr(down, "step5: PASS: "),
        "not ended by the guest's shutdown and the stage's PASS line");
  CHECK(count(&r, 'F') == 0, "FAIL lines:\n%s", r.fails);
  static const char *const must[] = {
      "uart_ld_64bit",      "uart_sw_32bit", "uart_lw_misaligned",
      "uart_sh_misaligned", "nodev_lw",      "nodev_sw",
      "nodev_lh_far",       "clint_lw",      "clint_sw",
      "dbcn_bad_pointers",  "hsm_bad_harts", "hsm_hartid_upper_bits",
      "sbi_unknown_storm",  "ipi_storm",     "ipi_flood",
      "timer_storm",        "illegal_storm"};
  for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
    CHECK(verdict_of(&r, must[i]) == 'o', "%s is not ok", must[i]);
  if (harts > 1)
    CHECK(verdict_of(&r, "cross_hart_storm") == 'o',
          "cross_hart_storm is not ok");
  static const struct {
    const char *name, *want;
  } faults[] = {{"nodev_lw", "lw 10002000: scause 5,"},
                {"nodev_sw", "sw 10002070: scause 7,"},
                {"nodev_lh_far", "lh 3f000000: scause 5,"},
                {"clint_lw", "lw 2000000: scause 5,"},
                {"clint_sw", "sw 2000000: scause 7,"}};
  char note[200];
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    CHECK(strstr(ok_note(out, faults[i].name, note, sizeof note),
                 faults[i].want) != NULL,
          "%s: '%s', not '%s...'", faults[i].name, note, faults[i].want);
  if (checks_failed() > failed)
    show_tail(&p, 40);
  qemu_free(&p);
}

TEST(hostile5_step5_1hart) { hostile_step5(1, NULL); }
TEST(hostile5_step5_2harts) { hostile_step5(2, NULL); }
// The timer storms through the hypervisor's own timer injection.
TEST(hostile5_step5_2harts_nosstc) { hostile_step5(2, "sstc=off"); }

// ---- Unit checks of the parser (no QEMU) ------------------------------------------
TEST(sbitest_parser) {
  static struct sbires r;
  parse("OpenSBI v1.1\nok base_probe\r\nguest| ok time_counter (10 Hz)\n"
        "guest2| FAIL ipi_self: no interrupt\nskip dbcn: absent\n"
        "okay not_a_check\nsbitest: summary: 2 ok, 1 FAIL, 1 skip on 4 harts\n",
        &r);
  CHECK(r.n == 4, "%d check lines", r.n);
  CHECK(verdict_of(&r, "base_probe") == 'o' &&
            verdict_of(&r, "time_counter") == 'o' &&
            verdict_of(&r, "ipi_self") == 'F' &&
            verdict_of(&r, "dbcn") == 's' && !verdict_of(&r, "not_a_check"),
        "verdicts wrong");
  CHECK(r.summary && r.sum_ok == 2 && r.sum_fail == 1 && r.sum_skip == 1 &&
            r.sum_harts == 4,
        "summary not read");
  CHECK(strstr(r.fails, "FAIL ipi_self: no interrupt") != NULL, "fails: %s",
        r.fails);
  char note[64];
  const char *out = "guest| ok dbcn_read (0 bytes (of 64) waiting)\\x0d\n"
                    "ok legacy_getchar (returned -1)\r\nok bare\n";
  CHECK(!strcmp(ok_note(out, "dbcn_read", note, sizeof note),
                "0 bytes (of 64) waiting"),
        "note '%s'", note);
  CHECK(
      !strcmp(ok_note(out, "legacy_getchar", note, sizeof note), "returned -1"),
      "note '%s'", note);
  CHECK(!strcmp(ok_note(out, "bare", note, sizeof note), ""), "note '%s'",
        note);
}
