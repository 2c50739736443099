// Stage 5's virtio block device (step5-devices/vblk.c), backed by a disk
// image (GUEST_DISK=, hostlib's qemu_cfg.disk) through the hypervisor's
// driver of QEMU's own device (hostblk.c).
//
// tests/guests/vblk_guest is a virtio driver of its own: it runs natively
// on QEMU's virtio-blk-device and under stage 5 on ours, and must print
// the same lines -- but for the requests where QEMU's device is lax and
// ours must not be -- and leave the same pattern in the image file.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DISK_BYTES (1 << 20)  // 2048 sectors
#define SECTOR 512

// A temporary file name of this test run's own.
static void tmpname(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "%s/tmp-vblk-%s-%d", build_dir(), what, (int)getpid());
}

// A fresh image: sector 0 starts with `text`, everything else is zero.
static int make_disk(const char *path, const char *text) {
  static char img[DISK_BYTES];
  memset(img, 0, sizeof img);
  memcpy(img, text, strlen(text));
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return -1;
  int ok = fwrite(img, 1, sizeof img, f) == sizeof img;
  return fclose(f) == 0 && ok ? 0 : -1;
}

// Read sector n of the image into buf.
static int read_sector(const char *path, int n, unsigned char *buf) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -1;
  int ok = fseek(f, (long)n * SECTOR, SEEK_SET) == 0 &&
           fread(buf, 1, SECTOR, f) == SECTOR;
  fclose(f);
  return ok ? 0 : -1;
}

// Does sector 2 hold what vblk_guest writes there: a pattern made from
// sector 0 (vblk_guest.c's pattern())?
static int has_pattern(const char *path) {
  unsigned char s0[SECTOR], s2[SECTOR];
  if (read_sector(path, 0, s0) < 0 || read_sector(path, 2, s2) < 0)
    return 0;
  for (int i = 0; i < SECTOR; i++)
    if (s2[i] != (unsigned char)(s0[i % 64] ^ (0xa5 + i)))
      return 0;
  return 1;
}

// And sectors 100..419, what its 320-sector request writes there
// (vblk_guest.c's big_request()).
static int has_big_pattern(const char *path) {
  unsigned char s0[SECTOR], s[SECTOR];
  if (read_sector(path, 0, s0) < 0)
    return 0;
  for (int n = 0; n < 320; n++) {
    if (read_sector(path, 100 + n, s) < 0)
      return 0;
    for (int i = 0; i < SECTOR; i++)
      if (s[i] != (unsigned char)(s0[i % 16] + n))
        return 0;
  }
  return 1;
}

// The "vblk_guest:" lines of a console (hvlab's "guest| " prefix gone),
// but for those that start with one of skip[].
static void guest_lines(const char *out, char *buf, size_t n,
                        const char *const *skip) {
  size_t len = 0;
  buf[0] = 0;
  for (const char *s = out; s && (s = strstr(s, "vblk_guest:")) != NULL;) {
    const char *e = strchr(s, '\n');
    size_t k = e ? (size_t)(e - s + 1) : strlen(s);
    int keep = 1;
    for (const char *const *p = skip; p && *p; p++)
      keep &= strncmp(s, *p, strlen(*p)) != 0;
    if (keep && len + k < n) {
      memcpy(buf + len, s, k);
      len += k;
      buf[len] = 0;
    }
    s += k;
  }
}

// Package build/guests/vblk_guest.elf for stage 5 (tools/guestpack).
// args: its boot arguments (/chosen bootargs), "" for none.
static int pack_guest(const char *pkg, const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "%s/host/guestpack --args '%s' %s/guests/vblk_guest.elf %s "
           ">/dev/null 2>&1",
           build_dir(), args, build_dir(), pkg);
  int st = system(cmd);
  return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

// Run stage 5 with the guest package and (if disk) the disk image.
static void run_stage5(const char *pkg, const char *disk, int harts,
                       struct qemu_proc *p) {
  char kernel[256];
  snprintf(kernel, sizeof kernel, "%s/step5/hv.elf", build_dir());
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {.kernel = kernel,
                         .smp = harts,
                         .disk = disk,
                         .extra = extra,
                         .timeout = 120};
  memset(p, 0, sizeof *p);
  CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
}

static int have_stage5(void) {
  char kernel[256];
  snprintf(kernel, sizeof kernel, "%s/step5/hv.elf", build_dir());
  return access(kernel, R_OK) == 0;
}

#define NEED_VBLK()                                                            \
  do {                                                                         \
    if (!have_stage5())                                                        \
      SKIP("stage 5 is not built");                                            \
  } while (0)

// Where QEMU's device and ours differ, both defensibly (the lines that
// follow each prefix are left out of the comparison): QEMU reads and
// writes "memory" at any address (nothing there: a no-op) where ours
// answers IOERR; QEMU wants a reset for a buffer it cannot map where ours
// answers IOERR too (the chain itself is well formed); QEMU drops a
// feature it did not offer where ours refuses FEATURES_OK, as the spec
// lets a device. ours[]: what our device must say there.
static const char *const differ[] = {
    "vblk_guest: data outside guest RAM",
    "vblk_guest: a data descriptor of nearly 4 GiB",
    "vblk_guest: a feature not offered", NULL};
static const char *const ours[] = {": status 1, interrupt 1\r",
                                   ": status 1, interrupt 1\r",
                                   ": FEATURES_OK refused\r"};

// Run vblk_guest with boot arguments `args` on `harts` harts natively,
// then under stage 5, each on a fresh image with the same new text in
// sector 0.
static void same_both_ways(const char *args, int harts, const char *tag) {
  char disk[256], pkg[256], text[128];
  tmpname(disk, sizeof disk, tag);
  tmpname(pkg, sizeof pkg, "pkg");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(text, sizeof text, "hvlab test disk %d.%ld", (int)getpid(),
           ts.tv_nsec);
  CHECK(pack_guest(pkg, args) == 0, "guestpack failed");

  // Natively: QEMU's virtio-blk-device, OpenSBI underneath.
  CHECK(make_disk(disk, text) == 0, "cannot write %s", disk);
  char elf[256];
  snprintf(elf, sizeof elf, "%s/guests/vblk_guest.elf", build_dir());
  struct qemu_cfg native = {.kernel = elf,
                            .append = args,
                            .smp = harts,
                            .disk = disk,
                            .timeout = 120};
  struct qemu_proc n;
  memset(&n, 0, sizeof n);
  CHECK(qemu_run(&native, &n) == 0, "could not start QEMU");
  static char want[8192], got[8192], all[8192];
  guest_lines(n.out, want, sizeof want, differ);
  CHECK(n.status == 0 && strstr(want, "sector 2 holds the pattern"),
        "natively: status %d, lines:\n%s", n.status, want);
  CHECK(strstr(want, text) != NULL, "natively, sector 0 not read:\n%s", want);
  CHECK(!strstr(args, "irq=1") || strstr(want, "plic: claim its source"),
        "natively, no interrupt claimed:\n%s", want);
  CHECK(!strstr(args, "harts=4") ||
            strstr(want, "3 other harts read registers all along: every "
                         "read right"),
        "natively, the other harts did not read:\n%s", want);
  CHECK(has_pattern(disk), "natively: no pattern in sector 2 of the file");
  CHECK(has_big_pattern(disk), "natively: no pattern in sectors 100-419");
  qemu_free(&n);

  // Under stage 5, on a fresh image with the same text.
  CHECK(make_disk(disk, text) == 0, "cannot write %s", disk);
  struct qemu_proc p;
  run_stage5(pkg, disk, harts, &p);
  guest_lines(p.out, got, sizeof got, differ);
  guest_lines(p.out, all, sizeof all, NULL);
  CHECK(p.status == 0, "stage 5: status %d", p.status);
  CHECK(strcmp(want, got) == 0, "natively:\n%sunder stage 5:\n%s", want, got);
  for (int i = 0; differ[i]; i++) {
    char line[128];
    snprintf(line, sizeof line, "%s%s", differ[i], ours[i]);
    CHECK(strstr(all, line), "no '%s' in:\n%s", line, all);
  }
  CHECK(p.out && strstr(p.out, "hv: vblk: a descriptor chain that loops: "
                               "the device needs a reset"),
        "no hypervisor line for the looping chain");
  CHECK(has_pattern(disk), "stage 5: no pattern in sector 2 of the file");
  CHECK(has_big_pattern(disk), "stage 5: no pattern in sectors 100-419");
  qemu_free(&p);
  unlink(disk);
  unlink(pkg);
}

TEST(vblk_guest_same_natively_and_under_stage5) {
  NEED_VBLK();
  same_both_ways("", 1, "disk");
}

// The same with irq=1: after every request the guest claims the device's
// interrupt from the PLIC (its source, from the device tree) and completes
// it; a request that asked for no interrupt leaves nothing to claim.
TEST(vblk_interrupt_through_the_plic) {
  NEED_VBLK();
  same_both_ways("irq=1", 1, "irqdisk");
}

// With harts=4 the guest's other three harts read registers through the
// device all the time hart 0 drives it (vblk.c's lock), then stop.
TEST(vblk_other_harts_read_all_along) {
  NEED_VBLK();
  same_both_ways("harts=4", 4, "hartsdisk");
}

// A hostile guest: thousands of random chains (bad addresses, lengths,
// flags, links, heads, avail indexes) and register stores and loads of
// every width. Every notify is answered -- a used entry or NEEDS_RESET --,
// the hypervisor survives unchanged, the device still reads sector 0.
TEST(vblk_hostile_random_requests) {
  NEED_VBLK();
  char disk[256], pkg[256];
  tmpname(disk, sizeof disk, "fuzzdisk");
  tmpname(pkg, sizeof pkg, "fuzzpkg");
  CHECK(make_disk(disk, "hvlab fuzz disk") == 0, "cannot write %s", disk);
  CHECK(pack_guest(pkg, "fuzz=3000 seed=12345") == 0, "guestpack failed");
  struct qemu_proc p;
  run_stage5(pkg, disk, 1, &p);
  EXPECT_STATUS(&p, 0);
  long ok = output_num(&p, "fuzz: 3000 rounds: [0-9]+ answered \\(([0-9]+) ok");
  long ioerr = output_num(&p, "answered \\([0-9]+ ok, ([0-9]+) ioerr");
  long resets = output_num(&p, "unsupp\\), ([0-9]+) resets");
  long pokes = output_num(&p, "resets, ([0-9]+) register pokes");
  CHECK(ok > 0 && ioerr > 0 && resets > 0 && pokes > 0,
        "too tame: %ld ok, %ld ioerr, %ld resets, %ld pokes", ok, ioerr, resets,
        pokes);
  EXPECT_OUT(&p, "register pokes, 0 unanswered");
  EXPECT_OUT(&p, "after the fuzz, read sector 0: status 0");
  CHECK(p.out && !strstr(p.out, "DIFFERENT"), "sector 0 changed");
  qemu_free(&p);
  unlink(disk);
  unlink(pkg);
}

// Without a disk the slot is there, empty (DeviceID 0): the guest finds no
// block device and says so; nothing breaks.
TEST(vblk_no_disk_is_an_empty_slot) {
  NEED_VBLK();
  char pkg[256];
  tmpname(pkg, sizeof pkg, "pkg0");
  CHECK(pack_guest(pkg, "") == 0, "guestpack failed");
  struct qemu_proc p;
  run_stage5(pkg, NULL, 1, &p);
  EXPECT_OUT(&p, "^hv: virtio slot at 10001000: empty");
  EXPECT_OUT(&p, "vblk_guest: no virtio-mmio block device in the device "
                 "tree");
  CHECK(p.out && !strstr(p.out, "panic"), "a panic");
  CHECK(p.status != 0 && p.status != 3, "status %d", p.status);
  qemu_free(&p);
  unlink(pkg);
}

// A disk on QEMU's legacy transport (its default without hostlib's -global)
// is one the hypervisor cannot drive: it says so and runs nothing.
TEST(vblk_legacy_disk_refused) {
  NEED_VBLK();
  char disk[256], pkg[256], drive[300], kernel[256];
  tmpname(disk, sizeof disk, "legacydisk");
  tmpname(pkg, sizeof pkg, "legacypkg");
  CHECK(make_disk(disk, "hvlab legacy disk") == 0, "cannot write %s", disk);
  CHECK(pack_guest(pkg, "") == 0, "guestpack failed");
  snprintf(drive, sizeof drive, "file=%s,if=none,format=raw,id=d", disk);
  snprintf(kernel, sizeof kernel, "%s/step5/hv.elf", build_dir());
  const char *extra[] = {"-initrd", pkg,       "-drive",
                         drive,     "-device", "virtio-blk-device,drive=d",
                         NULL};
  struct qemu_cfg cfg = {.kernel = kernel, .extra = extra, .timeout = 60};
  struct qemu_proc p;
  memset(&p, 0, sizeof p);
  CHECK(qemu_run(&cfg, &p) == 0, "could not start QEMU");
  EXPECT_OUT(&p, "^hv: the disk at 10008000 has the legacy virtio-mmio "
                 "transport: QEMU needs -global "
                 "virtio-mmio.force-legacy=false");
  EXPECT_STATUS(&p, 1);
  CHECK(p.out && !strstr(p.out, "vblk_guest:"), "the guest ran");
  qemu_free(&p);
  unlink(disk);
  unlink(pkg);
}

// The monitor hands the disk to QEMU too (--disk, make monitor GUEST_DISK=).
TEST(vblk_monitor_takes_the_disk) {
  NEED_VBLK();
  char disk[256], pkg[256], cmd[1024];
  static char out[1 << 16];
  tmpname(disk, sizeof disk, "mondisk");
  tmpname(pkg, sizeof pkg, "monpkg");
  CHECK(make_disk(disk, "hvlab monitor disk") == 0, "cannot write %s", disk);
  CHECK(pack_guest(pkg, "") == 0, "guestpack failed");
  snprintf(cmd, sizeof cmd,
           "timeout 120 %s/host/monitor --elf %s/step5/hv.elf --initrd %s "
           "--disk %s --batch 2>&1",
           build_dir(), build_dir(), pkg, disk);
  FILE *f = popen(cmd, "r");
  size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
  out[len] = 0;
  int st = f ? pclose(f) : -1;
  CHECK(st == 0 && strstr(out, "step5: PASS"), "monitor: status %d:\n%s", st,
        out);
  CHECK(has_pattern(disk), "no pattern in sector 2 of the file");
  unlink(disk);
  unlink(pkg);
}

// hostlib's QEMU options for a disk: the modern transport, and a ',' in
// the file name doubled for -drive.
TEST(vblk_qemu_disk_options) {
  struct qemu_cfg cfg = {.kernel = "hv.elf", .disk = "/tmp/a,b.img"};
  char *argv[64], buf[1024];
  int n = qemu_argv(&cfg, argv, 64, buf, sizeof buf);
  CHECK(n > 0, "qemu_argv failed");
  int legacy = 0, drive = 0, dev = 0;
  for (int i = 0; i + 1 < n; i++) {
    legacy |= !strcmp(argv[i], "-global") &&
              !strcmp(argv[i + 1], "virtio-mmio.force-legacy=false");
    drive |=
        !strcmp(argv[i], "-drive") &&
        !strcmp(argv[i + 1], "file=/tmp/a,,b.img,if=none,format=raw,id=hvdisk");
    dev |= !strcmp(argv[i], "-device") &&
           !strcmp(argv[i + 1], "virtio-blk-device,drive=hvdisk");
  }
  CHECK(legacy && drive && dev, "options: legacy %d, drive %d, device %d",
        legacy, drive, dev);
}

// make's GUEST_DISK: checked before QEMU starts.
static int make_out(const char *args, char *out, size_t n) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "make -s --no-print-directory %s 2>&1", args);
  FILE *f = popen(cmd, "r");
  size_t len = f ? fread(out, 1, n - 1, f) : 0;
  out[len] = 0;
  int st = f ? pclose(f) : -1;
  return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(vblk_make_guest_disk_checked_before_qemu) {
  char out[4096], args[512], dir[256];
  CHECK(make_out("run STEP=4 GUEST_DISK=/dev/null", out, sizeof out) != 0 &&
            strstr(out, "GUEST_DISK= needs STEP=5") && !strstr(out, "booting"),
        "STEP=4: %s", out);
  if (!have_stage5())
    SKIP("stage 5 is not built");
  CHECK(make_out("run STEP=5 GUEST_DISK=/nonexistent/disk.img", out,
                 sizeof out) != 0 &&
            strstr(out, "GUEST_DISK=/nonexistent/disk.img: no such file") &&
            !strstr(out, "booting"),
        "a missing file: %s", out);
  CHECK(make_out("run STEP=5 'GUEST_DISK=/tmp/a$b'", out, sizeof out) != 0 &&
            strstr(out, "a ' or a $ in it is not supported") &&
            !strstr(out, "booting"),
        "a $ in the name: %s", out);
  tmpname(dir, sizeof dir, "dir");
  CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s", dir);
  snprintf(args, sizeof args, "run STEP=5 GUEST_DISK=%s", dir);
  CHECK(make_out(args, out, sizeof out) != 0 &&
            strstr(out, "not a regular file") && !strstr(out, "booting"),
        "a directory: %s", out);
  rmdir(dir);
}
