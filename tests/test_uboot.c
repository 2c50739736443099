// Debian's S-mode U-Boot (package u-boot-qemu), driven through its console
// like a person at the keyboard (hostlib/expect.h): natively in QEMU, which
// proves the harness, and under stage 5, which proves the hypervisor runs
// software nobody here wrote. The session: stop autoboot with a key, then
// at the `=>` prompt `version`, `sbi`, `echo` and `poweroff`.

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"
#include "file.h"
#include "harness.h"

#define UBOOT "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
#define PROMPT "=> "

// The extensions U-Boot 2023.01's `sbi` command knows, by the names it
// prints (cmd/riscv/sbi.c there), each with the macro of
// include/hvlab/sbi_ids.h that stands for it. U-Boot lists the ones the
// firmware's BASE probe answers; it knows no DBCN and no hvlab extension.
static const struct {
  const char *shown;
  const char *macro;
} uboot_exts[] = {
    {"Set Timer", "SBI_EXT_LEGACY_SET_TIMER"},
    {"Console Putchar", "SBI_EXT_LEGACY_PUTCHAR"},
    {"Console Getchar", "SBI_EXT_LEGACY_GETCHAR"},
    {"Clear IPI", "SBI_EXT_LEGACY_CLEAR_IPI"},
    {"Send IPI", "SBI_EXT_LEGACY_SEND_IPI"},
    {"Remote FENCE.I", "SBI_EXT_LEGACY_REMOTE_FENCE_I"},
    {"Remote SFENCE.VMA", "SBI_EXT_LEGACY_REMOTE_SFENCE_VMA"},
    {"Remote SFENCE.VMA with ASID", "SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID"},
    {"System Shutdown", "SBI_EXT_LEGACY_SHUTDOWN"},
    {"SBI Base Functionality", "SBI_EXT_BASE"},
    {"Timer Extension", "SBI_EXT_TIME"},
    {"IPI Extension", "SBI_EXT_IPI"},
    {"RFENCE Extension", "SBI_EXT_RFENCE"},
    {"Hart State Management Extension", "SBI_EXT_HSM"},
    {"System Reset Extension", "SBI_EXT_SRST"},
    {"Performance Monitoring Unit Extension", "SBI_EXT_PMU"},
};
#define NEXTS (sizeof uboot_exts / sizeof uboot_exts[0])

// Is `macro` #defined in include/hvlab/sbi_ids.h? The header is the one
// list of what the hypervisor implements; this reads it rather than keep
// a second copy here. -1 if the header cannot be read.
static int sbi_ids_defines(const char *macro) {
  char *h = read_file("include/hvlab/sbi_ids.h", NULL);
  if (!h)
    return -1;
  char re[128];
  snprintf(re, sizeof re, "^#define[ \t]+%s[ \t]", macro);
  regex_t r;
  int found = 0;
  if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) == 0) {
    found = regexec(&r, h, 0, NULL, 0) == 0;
    regfree(&r);
  }
  free(h);
  return found;
}

// A name's index in uboot_exts, or -1.
static int ext_index(const char *shown) {
  for (size_t i = 0; i < NEXTS; i++)
    if (strcmp(uboot_exts[i].shown, shown) == 0)
      return (int)i;
  return -1;
}

// The extension lines after "Extensions:" in `sbi`'s output, as a bit set
// over uboot_exts; a line that names none of them sets *unknown.
static unsigned parse_exts(const char *out, char *unknown, size_t n) {
  unsigned set = 0;
  unknown[0] = 0;
  const char *s = strstr(out, "Extensions:\n");
  if (!s)
    return 0;
  for (s += 12; *s == ' ';) {
    const char *e = strchr(s, '\n');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char name[96];
    while (len && *s == ' ')
      s++, len--;
    snprintf(name, sizeof name, "%.*s", (int)len, s);
    int i = ext_index(name);
    if (i >= 0)
      set |= 1u << i;
    else if (!unknown[0])
      snprintf(unknown, n, "%s", name);
    if (!e)
      break;
    s = e + 1;
  }
  return set;
}

static void print_exts(const char *label, unsigned set) {
  printf("    %s:", label);
  for (size_t i = 0; i < NEXTS; i++)
    if (set >> i & 1)
      printf(" [%s]", uboot_exts[i].shown);
  printf("\n");
}

// One U-Boot session. What it checks of `sbi` depends on who answers:
// natively OpenSBI 1.1, whose list holds every extension of sbi_ids.h
// that U-Boot knows (and PMU); under stage 5, exactly those.
struct session {
  const char *label;
  int under_hv;
  int harts;  // under the hypervisor: the guest's harts (QEMU -smp)
};

// A step failed: say which, with the transcript, and end the session.
#define STEP_OK(e, ok, ...)                                                    \
  do {                                                                         \
    if (!(ok)) {                                                               \
      CHECK(0, __VA_ARGS__);                                                   \
      printf("    %s\n", (e)->err);                                            \
      expect_show(e, stdout, 30);                                              \
      expect_free(e);                                                          \
      return;                                                                  \
    }                                                                          \
  } while (0)

static void uboot_session(const struct qemu_cfg *cfg, const struct session *s) {
  struct expect e;
  STEP_OK(&e, expect_qemu(&e, cfg) == 0, "%s: QEMU does not start", s->label);
  // The banner, then the autoboot countdown (2 s): a key stops it.
  STEP_OK(&e, expect(&e, "Hit any key to stop autoboot", 60) == 0,
          "%s: no autoboot countdown", s->label);
  STEP_OK(&e, expect_send(&e, " ", 5) == 0, "%s: cannot send a key", s->label);
  STEP_OK(&e, expect(&e, PROMPT, 20) == 0, "%s: no prompt after the key",
          s->label);

  // version: its first line is the banner U-Boot printed at boot.
  char out[4096], banner[160];
  STEP_OK(&e, expect_type(&e, "version\r", 10) == 0, "%s: typing version",
          s->label);
  STEP_OK(&e, expect(&e, PROMPT, 10) == 0, "%s: version: no prompt after it",
          s->label);
  expect_output(&e, out, sizeof out);
  const char *v = strstr(out, "U-Boot 20");
  snprintf(banner, sizeof banner, "%.*s", v ? (int)strcspn(v, "\n") : 0,
           v ? v : "");
  CHECK(v && strlen(banner) > 14, "%s: version printed no U-Boot line:\n%s",
        s->label, out);
  char boot[200];
  snprintf(boot, sizeof boot, "\n%s\r\n", banner);
  CHECK(banner[0] && memmem(e.p.out, e.before, boot, strlen(boot)),
        "%s: '%s' is not the banner U-Boot printed when it started", s->label,
        banner);

  // sbi: the SBI implementation's version and extensions.
  STEP_OK(&e, expect_type(&e, "sbi\r", 10) == 0, "%s: typing sbi", s->label);
  STEP_OK(&e, expect(&e, PROMPT, 10) == 0, "%s: sbi: no prompt after it",
          s->label);
  expect_output(&e, out, sizeof out);
  char unknown[96];
  unsigned got = parse_exts(out, unknown, sizeof unknown), want = 0;
  CHECK(!unknown[0], "%s: sbi lists '%s', which U-Boot 2023.01 does not know",
        s->label, unknown);
  for (size_t i = 0; i < NEXTS; i++) {
    int d = sbi_ids_defines(uboot_exts[i].macro);
    CHECK(d >= 0, "cannot read include/hvlab/sbi_ids.h");
    if (d > 0)
      want |= 1u << i;
  }
  CHECK(want & 1u << ext_index("SBI Base Functionality"),
        "sbi_ids.h defines no SBI_EXT_BASE?");
  int ok = s->under_hv ? got == want : (got & want) == want;
  CHECK(ok, "%s: sbi's extensions are not %s those of sbi_ids.h", s->label,
        s->under_hv ? "exactly" : "a superset of");
  if (!ok) {
    print_exts("sbi listed", got);
    print_exts("sbi_ids.h has", want);
    printf("    sbi printed:\n%s", out);
  }
  if (s->under_hv)
    CHECK(!strstr(out, "OpenSBI"),
          "%s: the implementation named is the firmware's, not ours:\n%s",
          s->label, out);
  else
    CHECK(strstr(out, "SBI 1.0\nOpenSBI 1.1\n") != NULL,
          "%s: natively the SBI should be OpenSBI 1.1's 1.0:\n%s", s->label,
          out);

  // echo: a word made for this run comes back alone on its line.
  char cmd[80], word[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(word, sizeof word, "hvlab-%d-%ld", (int)getpid(), ts.tv_nsec);
  snprintf(cmd, sizeof cmd, "echo %s\r", word);
  STEP_OK(&e, expect_type(&e, cmd, 10) == 0, "%s: typing echo", s->label);
  STEP_OK(&e, expect(&e, PROMPT, 10) == 0, "%s: echo: no prompt after it",
          s->label);
  expect_output(&e, out, sizeof out);
  char line[80];
  snprintf(line, sizeof line, "%s\n", word);
  const char *o = out + strspn(out, "\n");
  CHECK(strcmp(o, line) == 0, "%s: echo %s printed \"%s\"", s->label, word,
        out);

  // poweroff: QEMU ends, status 0.
  STEP_OK(&e, expect_type(&e, "poweroff\r", 10) == 0, "%s: typing poweroff",
          s->label);
  int st = expect_end(&e, 30);
  CHECK(st == 0, "%s: after poweroff QEMU ended with %d (%s)", s->label, st,
        st < 0 ? e.err : "its exit status");
  if (s->under_hv) {
    CHECK(memmem(e.p.out, e.p.len, "step5: PASS", 11),
          "%s: no step5: PASS line", s->label);
    char vcpus[48];
    snprintf(vcpus, sizeof vcpus, "hv: %d vCPU%s on physical hart", s->harts,
             s->harts > 1 ? "s" : "");
    CHECK(memmem(e.p.out, e.p.len, vcpus, strlen(vcpus)),
          "%s: no line \"%s...\"", s->label, vcpus);
  }
  if (checks_failed())
    expect_show(&e, stdout, 30);
  else if (getenv("HVTEST_VERBOSE"))
    expect_show(&e, stdout, 1000);
  expect_free(&e);
}

// U-Boot is a dependency (make deps, make test): its absence is a failure
// that says how to get it, not a skip that hides the test.
static int have_uboot(void) {
  int ok = access(UBOOT, R_OK) == 0;
  CHECK(ok, "%s is missing: install it with mk/deps.sh u-boot-qemu", UBOOT);
  return ok;
}

TEST(uboot_native_console_session) {
  if (!have_uboot())
    return;
  struct qemu_cfg cfg = {.kernel = UBOOT, .timeout = 120};
  struct session s = {"natively", 0, 1};
  uboot_session(&cfg, &s);
}

// Stage 5's image, or a skip while stage 5 is not written yet. A stage
// that exists but did not build is a failure.
static int stage5_elf(char *elf, size_t n) {
  if (access("step5-devices/main.c", F_OK) != 0)
    SKIP("stage 5 does not exist yet (no step5-devices/main.c)");
  snprintf(elf, n, "%s/step5/hv.elf", build_dir());
  int ok = access(elf, R_OK) == 0;
  CHECK(ok, "stage 5 exists but %s does not: did it build?", elf);
  return ok;
}

// U-Boot packed as a guest (tools/guestpack), as make run STEP=5
// GUEST=... packs it, into a file of this test's own.
static int pack_uboot(char *pkg, size_t n) {
  snprintf(pkg, n, "%s/tmp-uboot-%d.pkg", build_dir(), (int)getpid());
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/host/guestpack %s %s 2>&1", build_dir(), UBOOT,
           pkg);
  FILE *f = popen(cmd, "r");
  char *log = f ? read_stream(f, NULL) : NULL;
  int st = f ? pclose(f) : -1;
  int ok = st == 0;
  CHECK(ok, "guestpack %s: status %d: %s", UBOOT, st, log ? log : "");
  free(log);
  return ok;
}

static void under_stage5(int harts, const char *label) {
  char elf[256], pkg[256];
  if (!stage5_elf(elf, sizeof elf) || !have_uboot() ||
      !pack_uboot(pkg, sizeof pkg))
    return;
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {
      .kernel = elf, .smp = harts, .extra = extra, .timeout = 180};
  struct session s = {label, 1, harts};
  uboot_session(&cfg, &s);
  unlink(pkg);
}

TEST(uboot_under_stage5_console_session) { under_stage5(1, "under stage 5"); }

// Two vCPUs: U-Boot runs on the boot hart (the other is stopped until
// someone starts it through HSM), and the session is the same.
TEST(uboot_under_stage5_two_harts) {
  under_stage5(2, "under stage 5, 2 harts");
}
