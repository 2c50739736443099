// Stage 4 under QEMU: G-stage translation, guest-page faults, isolation.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"
#include "hvlab/guestpkg.h"

// The two hex numbers of the first line that contains `key`, read with
// `fmt` from the key on. Returns the count read.
static int scan2(const struct qemu_proc *p, const char *key, const char *fmt,
                 unsigned long *a, unsigned long *b) {
  const char *s = strstr(p->out, key);
  return s ? sscanf(s, fmt, a, b) : 0;
}

TEST(step4_default_runs_and_isolates) {
  struct qemu_proc *p = boot_stage(4, NULL, 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^G-stage mappings \\(hgatp 8000100000[0-9a-f]{6}: Sv39x4, "
                "VMID 1, root [0-9a-f]+, 7 table pages\\):$");
  EXPECT_OUT(p, "^  GPA 0080000000-0087ffffff  rwxu  -> HPA [0-9a-f]{10}-"
                "[0-9a-f]{10}  131072 KiB in 64 leaves$");
  EXPECT_OUT(p, "^hv:   0000200000-0000200fff  MMIO testdev  \\(unmapped: "
                "faults go to its handler\\)$");
  EXPECT_OUT(p, "^  GPA 0000001000-0000001fff  r-xu  -> HPA [0-9a-f]{10}-"
                "[0-9a-f]{10}       4 KiB in 1 leaves$");
  unsigned long before = 0, after = 1;
  CHECK(scan2(p, "checksum ", "checksum %lx before, %lx after", &before,
              &after) == 2 &&
            before == after,
        "checksum %lx before, %lx after", before, after);
  EXPECT_OUT(p, "^hv: guest tests: 13 passed, 0 failed$");
  EXPECT_OUT(p, "step4: PASS: 8 tests ran in guest memory of 128 MiB, 5 "
                "faults stopped guests, hypervisor unchanged\n*$");
}

// A device region registered with mmio_register: its guest-page faults
// go to the device, which decodes each load and store (htinst is 0).
TEST(step4_mmio_test_device) {
  struct qemu_proc *p = boot_stage(4, "guest=mmio", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^guest\\| PASS the test device's ID reads \\(ld\\)$");
  EXPECT_OUT(p, "^guest\\| PASS its ID, 32 bits at a time");
  EXPECT_OUT(p, "^guest\\| PASS a store to SCRATCH reads back");
  EXPECT_OUT(p, "^guest\\| PASS the device counted 7 accesses, this one "
                "included$");
  // 5 loads and 2 stores, each one exit
  EXPECT_OUT(p, "load guest-page fault 5, store guest-page fault 2$");
  CHECK(!output_has(p, "guest-page fault in guest"), "a fault was reported");
}

// The guest writes a pattern through its own Sv39 mapping (pages in
// reverse order); the hypervisor finds it at the host addresses it gave
// the guest, which are not the guest-physical ones.
TEST(step4_two_stage_translation) {
  struct qemu_proc *p = boot_stage(4, "guest=paging", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^guest\\| PASS the pattern written through the window is at "
                "its GPAs$");
  EXPECT_OUT(p, "^hv: memcheck: GPA [0-9a-f]+-[0-9a-f]+ \\(host [0-9a-f]+"
                "\\.\\.\\.\\): 2048 of 2048 words hold the pattern$");
  EXPECT_OUT(p, "^guest\\| PASS the hypervisor finds it at the host addresses "
                "it mapped$");
  unsigned long gpa = 0, host = 0;
  CHECK(scan2(p, "memcheck: GPA ", "memcheck: GPA %lx-%*x (host %lx", &gpa,
              &host) == 2,
        "no memcheck line");
  CHECK(gpa >= 0x80000000 && host != gpa && host > 0x80200000,
        "GPA %lx at host %lx: not translated", gpa, host);
}

// A hypercall that points at memory the guest does not own gets an error,
// through the fault-catching accessors, and the hypervisor goes on.
TEST(step4_safe_reads_at_bad_addresses) {
  struct qemu_proc *p = boot_stage(4, "guest=paging", 0);
  EXPECT_STATUS(p, 0);
  // not mapped by the guest's own table (QEMU 7.2 reports this HLV fault
  // as an access fault; see labs/step4-mem.md)
  EXPECT_OUT(p, "passed GVA 50000000: byte 0 is unreadable \\(load access "
                "fault\\): SBI_ERR_INVALID_ADDRESS$");
  // mapped by the guest's table to a GPA we never gave it
  EXPECT_OUT(p, "passed GVA 40004000: byte 0 is unreadable \\(load "
                "guest-page fault\\): SBI_ERR_INVALID_ADDRESS$");
  EXPECT_OUT(p, "^hv: memcheck: GPA 1000000000 is not guest memory$");
  EXPECT_OUT(p, "^guest\\| PASS a buffer our table does not map");
  EXPECT_OUT(p, "^guest\\| PASS a buffer at a GPA we do not own");
  EXPECT_OUT(p, "^guest\\| PASS the hypervisor reads our buffer");
  CHECK(!output_has(p, "PANIC"), "the hypervisor panicked");
}

TEST(step4_store_beyond_ram_faults) {
  struct qemu_proc *p = boot_stage(4, "guest=beyond gram=64", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "guest 'beyond': store guest-page fault \\(scause 23\\)$");
  EXPECT_OUT(p, "^hv:   guest physical address 0000000084000000 \\(htval "
                "21000000 << 2");
  EXPECT_OUT(p, "^hv:   access: store/AMO, by the instruction itself");
  EXPECT_OUT(p, "^hv:   region: none");
  EXPECT_OUT(p, "^hv:   instruction at pc 00000000802[0-9a-f]{5}: [0-9a-f]+ "
                "\\([24] bytes\\)$");
  EXPECT_OUT(p, "^hv: test 'beyond': stopped as it must be: store guest-page "
                "fault at GPA 84000000$");
  CHECK(!output_has(p, "not isolated"), "the guest ran on after the store");
}

TEST(step4_store_to_rom_faults) {
  struct qemu_proc *p = boot_stage(4, "guest=rom", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^guest\\| PASS the ROM reads$");
  EXPECT_OUT(p, "^hv:   region: 'rom' 0000001000-0000001fff$");
  EXPECT_OUT(p, "guest 'rom' failed: write to read-only memory at GPA 1000$");
}

TEST(step4_load_and_fetch_faults_decoded) {
  struct qemu_proc *p = boot_stage(4, "guest=load,fetch", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "guest 'load': load guest-page fault \\(scause 21\\)$");
  EXPECT_OUT(p, "guest 'fetch': instruction guest-page fault \\(scause 20\\)$");
  EXPECT_OUT(p, "^hv:   access: fetch, by the instruction itself");
  // the instruction at a pc in a hole cannot be read: an error, no panic
  EXPECT_OUT(p, "^hv:   instruction at pc 0000001000000000: unreadable");
  EXPECT_OUT(p, "^hv: test 'fetch': stopped as it must be");
  EXPECT_OUT(p, "^hv: test 'load': stopped as it must be");
}

// The guest's own page table points into a hole: the fault is the walk's
// (implicit), at the table's GPA, for the GVA the guest loaded from.
TEST(step4_page_table_walk_fault_is_implicit) {
  struct qemu_proc *p = boot_stage(4, "guest=ptwalk", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^hv:   guest virtual address  0000000040000000$");
  EXPECT_OUT(p, "^hv:   guest physical address 0000001000000000");
  EXPECT_OUT(p, "^hv:   access: load, implicit: the guest's own page-table "
                "walk");
  EXPECT_OUT(p, "stopped as it must be: load guest-page fault at GPA "
                "1000000000 \\(implicit\\)$");
}

// Stores to the hypervisor's own code and data addresses land in the
// guest's RAM; the hypervisor's checksum does not change.
TEST(step4_guest_cannot_write_hypervisor) {
  struct qemu_proc *p = boot_stage(4, "guest=hvimage", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^guest\\| PASS a store to the hypervisor's code address hits "
                "our RAM$");
  EXPECT_OUT(p, "^guest\\| PASS a store to the hypervisor's data address hits "
                "our RAM$");
  EXPECT_OUT(p, "checksum ([0-9a-f]{16}) before, [0-9a-f]{16} after: "
                "unchanged$");
}

TEST(step4_ram_on_demand) {
  struct qemu_proc *p = boot_stage(4, "demand=on guest=demand,paging", 0);
  EXPECT_STATUS(p, 0);
  EXPECT_OUT(p, "^hv:   0080000000-0087ffffff  RAM  ram      \\(mapped page "
                "by page on first touch\\)$");
  EXPECT_OUT(p, "^guest\\| PASS pages touched for the first time hold what we "
                "wrote$");
  long maps = output_num(p, "^hv: ([0-9]+) guest pages mapped on demand$");
  long faults = output_num(p, "store guest-page fault ([0-9]+)");
  // 16 pages of the test, plus the guest's image, stack and tables
  CHECK(maps >= 16 + 4 && maps < 64, "%ld pages mapped on demand", maps);
  CHECK(faults >= 1 && faults <= maps, "%ld store faults for %ld maps", faults,
        maps);
}

TEST(step4_bad_memory_arguments) {
  struct qemu_proc *p = boot_stage(4, "gram=12Q", 0);
  EXPECT_STATUS(p, 5);  // refused by the boot-argument parser
  EXPECT_OUT(p, "^hv: bad boot argument 'gram=12Q'");
  p = boot_stage(4, "gram=1024", 0);
  EXPECT_STATUS(p, 1);
  EXPECT_OUT(p, "^hv: cannot back 1048576 KiB of guest RAM");
  p = boot_stage(4, "guest=nosuch", 0);
  EXPECT_STATUS(p, 5);
  EXPECT_OUT(p, "^hv: bad boot argument 'guest=nosuch'");
}

// ---- Guests from a file (GUEST=) ---------------------------------------------

// Run build/host/guestpack with args; returns its exit status, its output
// in out.
static int guestpack(const char *args, char *out, size_t n) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/host/guestpack %s 2>&1", build_dir(), args);
  FILE *f = popen(cmd, "r");
  size_t len = f ? fread(out, 1, n - 1, f) : 0;
  out[len] = 0;
  int st = f ? pclose(f) : -1;
  return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A temporary file name of this test's own.
static void tmpname(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "%s/tmp-%s-%d", build_dir(), what, (int)getpid());
}

// The "sbi_hello:" lines of a console, with hvlab's "guest| " prefix gone.
static void hello_lines(const char *out, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (const char *s = out; (s = strstr(s, "sbi_hello:")) != NULL;) {
    const char *e = strchr(s, '\n');
    size_t k = e ? (size_t)(e - s + 1) : strlen(s);
    if (len + k < n) {
      memcpy(buf + len, s, k);
      len += k;
      buf[len] = 0;
    }
    s += k;
  }
}

static void run_pkg(const char *pkg, const char *append, struct qemu_proc *p) {
  char kernel[256];
  snprintf(kernel, sizeof kernel, "%s/step4/hv.elf", build_dir());
  const char *extra[] = {"-initrd", pkg, NULL};
  struct qemu_cfg cfg = {
      .kernel = kernel, .append = append, .extra = extra, .timeout = 60};
  memset(p, 0, sizeof *p);
  CHECK(qemu_run(&cfg, p) == 0, "could not start QEMU");
}

// The same program, natively under OpenSBI and under stage 4, as an ELF
// and as a raw binary: the same lines.
TEST(step4_guest_file_runs_as_under_plain_qemu) {
  char elf[256], bin[256], pkg[256], out[4096];
  snprintf(elf, sizeof elf, "%s/guests/sbi_hello.elf", build_dir());
  snprintf(bin, sizeof bin, "%s/guests/sbi_hello.bin", build_dir());
  tmpname(pkg, sizeof pkg, "pkg");
  struct qemu_cfg native = {
      .kernel = elf, .append = "console=hvc0 x=1", .timeout = 60};
  struct qemu_proc n;
  memset(&n, 0, sizeof n);
  CHECK(qemu_run(&native, &n) == 0, "could not start QEMU");
  static char want[4096], got[4096];
  hello_lines(n.out ? n.out : "", want, sizeof want);
  CHECK(n.status == 0 && strstr(want, "bootargs \"console=hvc0 x=1\""),
        "natively: status %d, lines:\n%s", n.status, want);
  qemu_free(&n);
  for (int raw = 0; raw < 2; raw++) {
    char args[1024];
    snprintf(args, sizeof args, "--args 'console=hvc0 x=1' %s %s",
             raw ? bin : elf, pkg);
    CHECK(guestpack(args, out, sizeof out) == 0, "guestpack: %s", out);
    CHECK(strstr(out, raw ? "raw binary" : "ELF") != NULL, "guestpack: %s",
          out);
    struct qemu_proc p;
    run_pkg(pkg, NULL, &p);
    hello_lines(p.out ? p.out : "", got, sizeof got);
    CHECK(p.status == 0, "stage 4 with the %s: status %d", raw ? "raw" : "ELF",
          p.status);
    CHECK(strcmp(want, got) == 0, "natively:\n%sunder stage 4 (%s):\n%s", want,
          raw ? "raw" : "ELF", got);
    CHECK(p.out && strstr(p.out, "step4: PASS: guest 'sbi_hello."),
          "no PASS line");
    qemu_free(&p);
  }
  unlink(pkg);
}

TEST(step4_guest_file_missing_is_an_error_before_qemu) {
  char out[4096];
  CHECK(guestpack("/nonexistent/guest.elf /dev/null", out, sizeof out) == 1,
        "guestpack accepted a missing file: %s", out);
  CHECK(strstr(out, "/nonexistent/guest.elf: No such file") != NULL, "%s", out);
  // Through make: it stops before QEMU starts.
  FILE *f = popen("make -s --no-print-directory run STEP=4 "
                  "GUEST=/nonexistent/guest.elf 2>&1",
                  "r");
  size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
  out[len] = 0;
  int st = f ? pclose(f) : -1;
  CHECK(st != 0 && strstr(out, "No such file") && !strstr(out, "booting"),
        "make run with a missing GUEST: status %d, output:\n%s", st, out);
}

TEST(step4_guest_file_truncated_elf_is_an_error) {
  char elf[256], cut[256], pkg[256], out[4096], args[1024];
  snprintf(elf, sizeof elf, "%s/guests/sbi_hello.elf", build_dir());
  tmpname(cut, sizeof cut, "cut.elf");
  tmpname(pkg, sizeof pkg, "cutpkg");
  // Keep the ELF and program headers, lose the segments' bytes.
  snprintf(args, sizeof args, "head -c 200 %s > %s", elf, cut);
  CHECK(system(args) == 0, "could not make a truncated ELF");
  snprintf(args, sizeof args, "%s %s", cut, pkg);
  CHECK(guestpack(args, out, sizeof out) == 1, "guestpack accepted it: %s",
        out);
  CHECK(strstr(out, "truncated") != NULL, "%s", out);
  snprintf(args, sizeof args, "head -c 40 %s > %s", elf, cut);
  CHECK(system(args) == 0, "could not make a truncated ELF");
  snprintf(args, sizeof args, "%s %s", cut, pkg);
  CHECK(guestpack(args, out, sizeof out) == 1 && strstr(out, "truncated"),
        "a 40-byte ELF: %s", out);
  unlink(cut);
  unlink(pkg);
}

// The hypervisor checks the package itself too: garbage gets an error.
TEST(step4_guest_package_checked_by_hypervisor) {
  char bad[256];
  tmpname(bad, sizeof bad, "badpkg");
  FILE *f = fopen(bad, "w");
  CHECK(f != NULL, "cannot write %s", bad);
  if (!f)
    return;
  fputs("this is not a guest package, it is a sentence.\n", f);
  fclose(f);
  struct qemu_proc p;
  run_pkg(bad, NULL, &p);
  CHECK(p.status == 1, "status %d", p.status);
  CHECK(p.out && strstr(p.out, "not a guest package"), "no error line");
  qemu_free(&p);
  unlink(bad);
}

// `make monitor STEP=4 GUEST=...`: the monitor hands QEMU the guest
// package with --initrd, and counts the guest's exits like any other.
TEST(step4_guest_file_under_the_monitor) {
  char elf[256], pkg[256], out[4096], cmd[1024];
  snprintf(elf, sizeof elf, "%s/guests/sbi_hello.elf", build_dir());
  tmpname(pkg, sizeof pkg, "pkg");
  snprintf(cmd, sizeof cmd, "--args 'under the monitor' %s %s", elf, pkg);
  CHECK(guestpack(cmd, out, sizeof out) == 0, "guestpack: %s", out);
  snprintf(cmd, sizeof cmd,
           "timeout 60 %s/host/monitor --elf %s/step4/hv.elf --initrd %s "
           "--batch --csv 2>&1",
           build_dir(), build_dir(), pkg);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL, "cannot run the monitor");
  if (!f)
    return;
  char *log = read_stream(f, NULL);
  int st = pclose(f);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "monitor status %d:\n%s", st,
        log ? log : "");
  CHECK(log && strstr(log, "sbi_hello: bootargs \"under the monitor\""),
        "the guest did not run with its arguments:\n%s", log ? log : "");
  CHECK(log && strstr(log, "step4: PASS: guest 'sbi_hello.elf'"),
        "no PASS line:\n%s", log ? log : "");
  CHECK(log && strstr(log, "\necall from VS-mode,10,"),
        "no ecall row in the monitor's table:\n%s", log ? log : "");
  free(log);
  unlink(pkg);
}

// A raw image whose size is no multiple of 8: the package's header counts
// the padding after it, so the file must hold that padding too (stage 4
// refused such packages as "a package with bad sizes").
TEST(step4_guest_file_of_odd_size_packs_whole) {
  char img[256], pkg[256], out[4096], args[1024];
  tmpname(img, sizeof img, "odd.bin");
  tmpname(pkg, sizeof pkg, "oddpkg");
  snprintf(args, sizeof args, "head -c 1001 /dev/zero > %s", img);
  CHECK(system(args) == 0, "could not make an image");
  snprintf(args, sizeof args, "%s %s", img, pkg);
  CHECK(guestpack(args, out, sizeof out) == 0, "guestpack: %s", out);
  FILE *f = fopen(pkg, "rb");
  struct gpkg_header h;
  CHECK(f && fread(&h, sizeof h, 1, f) == 1, "cannot read %s", pkg);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fclose(f);
  CHECK(h.magic == GPKG_MAGIC && (long)h.size == len,
        "header says %llu bytes, the file has %ld", (unsigned long long)h.size,
        len);
  struct qemu_proc p;
  run_pkg(pkg, NULL, &p);
  CHECK(p.out && !strstr(p.out, "bad sizes") &&
            strstr(p.out, "hv: loaded 1001 bytes at GPA 80200000"),
        "stage 4 did not load it:\n%s", p.out ? p.out : "");
  qemu_free(&p);
  unlink(img);
  unlink(pkg);
}
