// ELF symbol lookup: in stage 1's image, in this test program itself, and
// the errors for files that cannot be used.

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "harness.h"
#include "rvdecode.h"
#include "test_grader.h"

static struct elfsym *open_stage1(void) {
  char path[256], err[256];
  snprintf(path, sizeof path, "%s/step1/hv.elf", build_dir());
  struct elfsym *e = elfsym_open(path, err, sizeof err);
  CHECK(e != NULL, "%s", err);
  return e;
}

TEST(elfsym_stage1_symbols) {
  struct elfsym *e = open_stage1();
  if (!e)
    return;
  static const char *const names[] = {"boot", "hs_trapvec", "stage_main"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    uint64_t a = 0, sz = 0;
    int r = elfsym_lookup(e, names[i], &a, &sz);
    // The kernel is linked at 0x80200000 (runtime/riscv/kernel.ld).
    CHECK(r == 0 && a >= 0x80200000 && a < 0x80400000,
          "%s: %s at %#llx (a function inlined away, e.g. by -flto, "
          "cannot be a breakpoint)",
          names[i], r ? "missing" : "found", (unsigned long long)a);
    if (r != 0)
      continue;
    // Each is code: the containing function of addr+2 is itself.
    uint64_t off = 99;
    const char *f = elfsym_func_at(e, a + 2, &off);
    CHECK(f && strcmp(f, names[i]) == 0 && off == 2, "func_at(%s+2) = %s+%llu",
          names[i], f ? f : "NULL", (unsigned long long)off);
    // And the bytes there, from the file, are an instruction.
    uint32_t insn = 0;
    CHECK(elfsym_read(e, a, &insn, sizeof insn) == 0, "read at %s", names[i]);
    struct rv_insn d;
    rv_decode(insn, a, &d);
    CHECK(d.known, "%s starts with '%s'", names[i], d.text);
  }
  uint64_t a, sz;
  CHECK(elfsym_lookup(e, "boot", &a, &sz) == 0 && sz > 0, "boot has no size");
  CHECK(elfsym_lookup(e, "boot_stack_top", &a, &sz) == 0 && sz == 0,
        "boot_stack_top is an untyped label, size %llu",
        (unsigned long long)sz);
  CHECK(elfsym_lookup(e, "no_such_symbol", &a, NULL) == -1, "no_such_symbol");
  CHECK(elfsym_func_at(e, 0x1000, NULL) == NULL, "0x1000 is not ours");
  unsigned char b[4];
  CHECK(elfsym_read(e, 0x1000, b, sizeof b) == -1, "read outside the image");
  elfsym_close(e);
}

int main(int argc, char **argv);  // tests/main.c

// This very program: symbol values are link-time addresses, so in a PIE
// only differences between them match the running program.
TEST(elfsym_self) {
  char err[256];
  struct elfsym *e = elfsym_open("/proc/self/exe", err, sizeof err);
  CHECK(e != NULL, "%s", err);
  if (!e)
    return;
  uint64_t main_at, check_at, size;
  CHECK(elfsym_lookup(e, "main", &main_at, &size) == 0 && size > 0, "main");
  CHECK(elfsym_lookup(e, "check_", &check_at, NULL) == 0, "check_");
  long want = (long)((char *)(void *)main - (char *)(void *)check_);
  CHECK((long)(main_at - check_at) == want,
        "main - check_: file %ld, "
        "memory %ld",
        (long)(main_at - check_at), want);
  uint64_t off;
  const char *f = elfsym_func_at(e, main_at + size - 1, &off);
  CHECK(f && strcmp(f, "main") == 0 && off == size - 1,
        "last byte of main: "
        "%s+%llu",
        f ? f : "NULL", (unsigned long long)off);
  // The bytes of main in the file are the bytes of main in memory.
  unsigned char fb[16];
  CHECK(elfsym_read(e, main_at, fb, sizeof fb) == 0 &&
            memcmp(fb, (void *)main, sizeof fb) == 0,
        "main's bytes differ");
  elfsym_close(e);
}

TEST(elfsym_errors) {
  char err[256] = "";
  CHECK(elfsym_open("/nonexistent/hv.elf", err, sizeof err) == NULL &&
            strstr(err, "No such file"),
        "missing file: '%s'", err);
  char path[] = "/tmp/hvlab-elfsym-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  if (fd < 0)
    return;
  CHECK(write(fd, "not an elf file\n", 16) == 16, "write");
  CHECK(elfsym_open(path, err, sizeof err) == NULL &&
            strstr(err, "not an ELF file"),
        "text file: '%s'", err);
  // A bare ELF header: an ELF file, but no sections, so no symbols.
  Elf64_Ehdr h = {.e_type = ET_EXEC,
                  .e_machine = EM_RISCV,
                  .e_version = EV_CURRENT,
                  .e_ehsize = sizeof h};
  memcpy(h.e_ident, ELFMAG, SELFMAG);
  h.e_ident[EI_CLASS] = ELFCLASS64;
  h.e_ident[EI_DATA] = ELFDATA2LSB;
  h.e_ident[EI_VERSION] = EV_CURRENT;
  CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, &h, sizeof h, 0) == sizeof h,
        "write header");
  CHECK(elfsym_open(path, err, sizeof err) == NULL &&
            strstr(err, "no symbol table"),
        "bare header: '%s'", err);
  close(fd);
  unlink(path);
}

// A copy of stage 1's image whose symbol table header is changed by edit:
// elfsym_open must refuse it with a message, and never size anything by
// what the header claims (the sanitizer build aborts on a calloc of
// 2^60 bytes, which the plain build survives by luck).
static void open_broken_symtab(void (*edit)(Elf64_Shdr *sh), const char *want,
                               const char *what) {
  char src[256], path[] = "/tmp/hvlab-elfsym-XXXXXX", err[256] = "";
  snprintf(src, sizeof src, "%s/step1/hv.elf", build_dir());
  size_t len;
  char *img = read_text(src, &len);
  CHECK(img != NULL, "cannot read %s", src);
  if (!img)
    return;
  Elf64_Ehdr *h = (Elf64_Ehdr *)img;
  int found = 0;
  for (int i = 0; i < h->e_shnum; i++) {
    Elf64_Shdr *sh = (Elf64_Shdr *)(img + h->e_shoff + (size_t)i * sizeof *sh);
    if (sh->sh_type == SHT_SYMTAB)
      edit(sh), found = 1;
  }
  CHECK(found, "%s has no symbol table", src);
  int fd = mkstemp(path);
  CHECK(fd >= 0 && write(fd, img, len) == (ssize_t)len, "write %s", path);
  close(fd);
  struct elfsym *e = elfsym_open(path, err, sizeof err);
  CHECK(e == NULL && strstr(err, want), "%s: '%s', expected '%s'", what, err,
        want);
  elfsym_close(e);
  unlink(path);
  free(img);
}

static void huge_size(Elf64_Shdr *sh) { sh->sh_size = 1ull << 60; }
static void tiny_entries(Elf64_Shdr *sh) { sh->sh_entsize = 1; }
static void past_the_end(Elf64_Shdr *sh) { sh->sh_offset = 1ull << 40; }

TEST(elfsym_refuses_bad_symbol_tables) {
  open_broken_symtab(huge_size, "bad symbol table", "sh_size 2^60");
  open_broken_symtab(tiny_entries, "bad symbol table", "sh_entsize 1");
  open_broken_symtab(past_the_end, "bad symbol table", "sh_offset 2^40");
}

// A FIFO where the image should be: open() would wait for a writer
// forever; elfsym_open must refuse it at once.
TEST(elfsym_refuses_a_fifo) {
  char dir[] = "/tmp/hvlab-fifo-XXXXXX", path[64], err[256] = "";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  snprintf(path, sizeof path, "%s/hv.elf", dir);
  CHECK(mkfifo(path, 0600) == 0, "mkfifo %s", path);
  CHECK(elfsym_open(path, err, sizeof err) == NULL &&
            strstr(err, "is a FIFO, not a regular file"),
        "FIFO: '%s'", err);
  CHECK(elfsym_open(dir, err, sizeof err) == NULL &&
            strstr(err, "is a directory, not a regular file"),
        "directory: '%s'", err);
  unlink(path);
  rmdir(dir);
}
