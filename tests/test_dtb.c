// The hypervisor's device-tree reader (runtime/riscv/dtb.c), compiled for
// the host and fed QEMU's real device tree -- then broken copies of it,
// which must give "not found", never a read past the blob.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

// dtb.c is freestanding code; its only outside need is boot_dtb.
void *boot_dtb;
#include "../runtime/riscv/dtb.c"

static unsigned char *blob;
static long blob_len;

static unsigned rd32(const unsigned char *p) {
  return (unsigned)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
static void wr32(unsigned char *p, unsigned v) {
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (unsigned char)v;
}

// QEMU writes the virt machine's device tree for us, with our bootargs.
static int load_qemu_dtb(void) {
  char path[] = "/tmp/hvlab-dtb-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return -1;
  close(fd);
  char dump[64 + sizeof path];
  snprintf(dump, sizeof dump, "virt,dumpdtb=%s", path);
  const char *extra[] = {"-machine", dump, NULL};
  char elf[256];
  snprintf(elf, sizeof elf, "%s/step1/hv.elf", build_dir());
  struct qemu_cfg cfg = {.kernel = elf,
                         .append = "guest=seed seed=3",
                         .extra = extra,
                         .timeout = 20};
  struct qemu_proc p;
  int ok = qemu_run(&cfg, &p) == 0 && p.status == 0;
  qemu_free(&p);
  FILE *f = ok ? fopen(path, "rb") : NULL;
  if (f) {
    blob = malloc(1 << 20);
    blob_len = (long)fread(blob, 1, 1 << 20, f);
    fclose(f);
  }
  unlink(path);
  if (!blob || blob_len <= 40 || rd32(blob + 4) > (unsigned)blob_len)
    return -1;
  blob_len = rd32(blob + 4);  // QEMU pads the file; the tree is totalsize
  return 0;
}

// A private copy to break, placed so that it ends exactly where an
// inaccessible page begins: a read past the blob is a certain crash, not
// a quiet look at whatever the heap holds.
static unsigned char *copy(void) {
  long pg = sysconf(_SC_PAGESIZE);
  size_t data = ((size_t)blob_len + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
  unsigned char *m = mmap(NULL, data + (size_t)pg, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    abort();
  mprotect(m + data, (size_t)pg, PROT_NONE);
  unsigned char *c = m + data - (size_t)blob_len;
  memcpy(c, blob, (size_t)blob_len);
  return c;
}

static void release(unsigned char *c) {
  long pg = sysconf(_SC_PAGESIZE);
  uintptr_t start = (uintptr_t)c & ~(uintptr_t)(pg - 1);
  size_t data = ((uintptr_t)c + (size_t)blob_len) - start;
  munmap((void *)start, data + (size_t)pg);
}

TEST(dtb_reads_qemu_tree) {
  if (!blob && load_qemu_dtb() < 0)
    SKIP("QEMU could not dump its device tree");
  CHECK(dtb_check(blob) == 0, "QEMU's own tree rejected");
  const char *isa = dtb_cpu_isa(blob);
  CHECK(isa && strncmp(isa, "rv64imafdch", 11) == 0, "isa: %s",
        isa ? isa : "(none)");
  CHECK(isa_has_ext(isa, "h") && isa_has_ext(isa, "sstc") &&
            !isa_has_ext(isa, "sst") && !isa_has_ext(isa, "q"),
        "extension matching");
  const char *args = dtb_bootargs(blob);
  CHECK(args && strcmp(args, "guest=seed seed=3") == 0, "bootargs: %s",
        args ? args : "(none)");
  CHECK(!dtb_prop(blob, "/cpus/cpu@1", "riscv,isa", NULL), "no second hart");
}

TEST(dtb_refuses_broken_trees) {
  if (!blob && load_qemu_dtb() < 0)
    SKIP("QEMU could not dump its device tree");
  unsigned str_off = rd32(blob + 12), str_len = rd32(blob + 32);

  unsigned char *c = copy();  // a size far beyond the buffer
  wr32(c + 4, 0x7fffffff);
  CHECK(dtb_check(c) < 0 && !dtb_cpu_isa(c), "huge totalsize accepted");
  release(c);

  c = copy();  // strings block past the end of the blob
  wr32(c + 32, (unsigned)blob_len);
  CHECK(dtb_check(c) < 0, "strings past the end accepted");
  release(c);

  c = copy();  // no NUL anywhere in the property names
  memset(c + str_off, 'A', str_len);
  CHECK(!dtb_cpu_isa(c) && !dtb_bootargs(c), "unterminated names read");
  release(c);

  // The name "bootargs" as the very last bytes of the blob, with no NUL:
  // comparing it must stop at the blob's end, not run into the next page.
  c = copy();
  unsigned st = rd32(c + 8), st_len = rd32(c + 36);
  int moved = 0;
  for (unsigned o = st; o + 12 <= st + st_len; o += 4) {
    if (rd32(c + o) == 3 &&  // FDT_PROP: len, nameoff, value
        rd32(c + o + 8) < str_len &&
        strcmp((char *)c + str_off + rd32(c + o + 8), "bootargs") == 0) {
      wr32(c + o + 8, str_len - 8);
      moved = 1;
    }
  }
  CHECK(moved && str_off + str_len == (unsigned)blob_len,
        "test setup: no bootargs, or strings not last in the blob");
  memcpy(c + str_off + str_len - 8, "bootargs", 8);
  CHECK(!dtb_bootargs(c), "a name without NUL matched");
  release(c);

  c = copy();  // bootargs value without its NUL
  const char *a = dtb_bootargs(c);
  if (a) {
    ((char *)a)[strlen(a)] = 'X';
    CHECK(!dtb_bootargs(c), "an unterminated string value was returned");
  }
  release(c);

  c = copy();  // the token stream cut short
  wr32(c + 36, 64);
  CHECK(!dtb_cpu_isa(c), "read past a truncated structure block");
  release(c);
}

// OpenSBI passes an aligned tree, but the reader must not depend on it:
// every header field and token is read byte by byte, so a copy at an odd
// address reads the same (and the sanitizer build sees no misaligned
// access: `make test SAN=1`).
TEST(dtb_reads_misaligned_tree) {
  if (!blob && load_qemu_dtb() < 0)
    SKIP("QEMU could not dump its device tree");
  unsigned char *m = malloc((size_t)blob_len + 8);
  CHECK(m != NULL, "out of memory");
  if (!m)
    return;
  for (int shift = 1; shift < 4; shift++) {
    unsigned char *c = m + shift;
    memcpy(c, blob, (size_t)blob_len);
    CHECK(dtb_check(c) == 0, "offset %d: tree rejected", shift);
    const char *isa = dtb_cpu_isa(c), *args = dtb_bootargs(c);
    CHECK(isa && strncmp(isa, "rv64imafdch", 11) == 0, "offset %d: isa %s",
          shift, isa ? isa : "(none)");
    CHECK(args && strcmp(args, "guest=seed seed=3") == 0,
          "offset %d: bootargs %s", shift, args ? args : "(none)");
  }
  free(m);
}
