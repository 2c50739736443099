// guestpack: check a guest image and package it for stage 4
// (include/hvlab/guestpkg.h says what a package is and why).
//
//   guestpack [--args "..."] [--initrd FILE] [--ram-size BYTES] IMAGE OUT
//
// IMAGE is an ELF (its PT_LOAD segments go to their physical addresses) or
// anything else, taken as a raw binary loaded at 0x80200000. Both are
// untrusted: every size and offset is checked before it is used, and a
// bad image is a clear error, before QEMU ever starts.

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvlab/guestpkg.h"

#define RAM_BASE 0x80000000ULL
#define MAX_FILE (256ULL << 20)

static const char *image_name;

static void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "guestpack: %s: ", image_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

// The whole file, at most MAX_FILE bytes.
static unsigned char *slurp(const char *path, size_t *n) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    fprintf(stderr, "guestpack: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
      (unsigned long long)st.st_size > MAX_FILE) {
    fprintf(stderr, "guestpack: %s: not a regular file of 1 byte to %llu MiB\n",
            path, MAX_FILE >> 20);
    exit(1);
  }
  unsigned char *b = malloc((size_t)st.st_size);
  size_t got = 0;
  while (b && got < (size_t)st.st_size) {
    ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  if (!b || got != (size_t)st.st_size) {
    fprintf(stderr, "guestpack: %s: could not read it\n", path);
    exit(1);
  }
  *n = got;
  return b;
}

struct seg {
  unsigned long long gpa, memsz;
  const unsigned char *data;
  unsigned long long filesz;
};

// [gpa, gpa + len) inside guest RAM?
static int in_ram(unsigned long long gpa, unsigned long long len,
                  unsigned long long ram) {
  return gpa >= RAM_BASE && len <= ram && gpa - RAM_BASE <= ram - len;
}

static int elf_segments(const unsigned char *img, size_t n,
                        unsigned long long ram, struct seg *segs,
                        unsigned long long *entry) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    die("libelf: %s", elf_errmsg(-1));
  Elf *e = elf_memory((char *)img, n);
  GElf_Ehdr eh;
  if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
    die("not a readable ELF file (%s)", elf_errmsg(-1));
  if (gelf_getclass(e) != ELFCLASS64 || eh.e_machine != EM_RISCV)
    die("not a 64-bit RISC-V ELF (class %d, machine %d)", gelf_getclass(e),
        eh.e_machine);
  if (eh.e_type != ET_EXEC)
    die("not an executable (ELF type %d): link it at a fixed address",
        eh.e_type);
  size_t phnum;
  if (elf_getphdrnum(e, &phnum) < 0 || eh.e_phoff > n ||
      (unsigned long long)phnum * eh.e_phentsize > n - eh.e_phoff)
    die("truncated: its program headers lie past the end of the file");
  int nseg = 0;
  for (size_t i = 0; i < phnum; i++) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, (int)i, &ph))
      die("program header %zu unreadable (%s)", i, elf_errmsg(-1));
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
      continue;
    if (nseg == GPKG_MAX_SEGS)
      die("more than %d loadable segments", GPKG_MAX_SEGS);
    if (ph.p_filesz > ph.p_memsz)
      die("segment %zu: file size %#llx > memory size %#llx", i,
          (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
    if (ph.p_offset > n || ph.p_filesz > n - ph.p_offset)
      die("truncated: segment %zu needs bytes %#llx-%#llx of a %zu-byte "
          "file",
          i, (unsigned long long)ph.p_offset,
          (unsigned long long)(ph.p_offset + ph.p_filesz), n);
    if (!in_ram(ph.p_paddr, ph.p_memsz, ram))
      die("segment %zu at %#llx-%#llx is outside guest RAM %#llx-%#llx", i,
          (unsigned long long)ph.p_paddr,
          (unsigned long long)(ph.p_paddr + ph.p_memsz), RAM_BASE,
          RAM_BASE + ram);
    for (int j = 0; j < nseg; j++)
      if (ph.p_paddr < segs[j].gpa + segs[j].memsz &&
          segs[j].gpa < ph.p_paddr + ph.p_memsz)
        die("segment %zu overlaps another", i);
    segs[nseg++] =
        (struct seg){ph.p_paddr, ph.p_memsz, img + ph.p_offset, ph.p_filesz};
  }
  if (nseg == 0)
    die("no loadable segment");
  *entry = eh.e_entry;
  int ok = 0;
  for (int j = 0; j < nseg; j++)
    ok |= *entry >= segs[j].gpa && *entry - segs[j].gpa < segs[j].memsz;
  if (!ok)
    die("entry point %#llx is in no loadable segment", *entry);
  elf_end(e);
  return nseg;
}

static void put(FILE *f, const void *p, size_t n, const char *out) {
  if (fwrite(p, 1, n, f) != n) {
    fprintf(stderr, "guestpack: %s: %s\n", out, strerror(errno));
    exit(1);
  }
}

int main(int argc, char **argv) {
  const char *args = "", *initrd = NULL;
  unsigned long long ram = 128ULL << 20;
  static const struct option opts[] = {{"args", required_argument, 0, 'a'},
                                       {"initrd", required_argument, 0, 'i'},
                                       {"ram-size", required_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'a': args = optarg; break;
    case 'i': initrd = optarg; break;
    case 'r': {
      char *end;
      ram = strtoull(optarg, &end, 0);
      if (*end || ram < (4ULL << 20) || ram > (4ULL << 30)) {
        fprintf(stderr, "guestpack: --ram-size wants 4 MiB to 4 GiB\n");
        return 2;
      }
      break;
    }
    case 'h':
      printf("usage: guestpack [--args ARGS] [--initrd FILE] [--ram-size N] "
             "IMAGE OUT\n");
      return 0;
    default: return 2;
    }
  }
  if (argc - optind != 2) {
    fprintf(stderr, "usage: guestpack [--args ARGS] [--initrd FILE] "
                    "[--ram-size N] IMAGE OUT\n");
    return 2;
  }
  image_name = argv[optind];
  const char *out = argv[optind + 1];
  if (strlen(args) + 1 > GPKG_MAX_ARGS)
    die("GUEST_ARGS is longer than %d bytes", GPKG_MAX_ARGS - 1);

  size_t n;
  unsigned char *img = slurp(image_name, &n);
  struct seg segs[GPKG_MAX_SEGS];
  unsigned long long entry;
  int nseg;
  if (n >= 4 && memcmp(img, ELFMAG, SELFMAG) == 0) {
    if (n < sizeof(Elf64_Ehdr))
      die("truncated: %zu bytes, shorter than an ELF header", n);
    nseg = elf_segments(img, n, ram, segs, &entry);
  } else {
    if (!in_ram(GPKG_RAW_LOAD, n, ram))
      die("a raw image of %zu bytes does not fit guest RAM from %#llx", n,
          GPKG_RAW_LOAD);
    segs[0] = (struct seg){GPKG_RAW_LOAD, n, img, n};
    nseg = 1;
    entry = GPKG_RAW_LOAD;
  }
  size_t rn = 0;
  unsigned char *rd = initrd ? slurp(initrd, &rn) : NULL;
  if (rn > ram / 2)
    die("the initrd (%zu bytes) is more than half of guest RAM", rn);

  struct gpkg_header h = {.magic = GPKG_MAGIC,
                          .version = GPKG_VERSION,
                          .nseg = (unsigned)nseg,
                          .entry = entry};
  const char *base = strrchr(image_name, '/');
  snprintf(h.name, sizeof h.name, "%s", base ? base + 1 : image_name);
  // The hypervisor prints the name in its reports: plain characters only.
  for (char *c = h.name; *c; c++)
    if (*c <= ' ' || *c > '~' || *c == '\'' || *c == '"' || *c == '\\')
      *c = '_';
  if (h.name[0] == 0)
    snprintf(h.name, sizeof h.name, "guest");
  unsigned long long off =
      sizeof h + (unsigned long long)nseg * sizeof(struct gpkg_seg);
  h.args_off = off;
  h.args_len = strlen(args) + 1;
  off += h.args_len;
  struct gpkg_seg ps[GPKG_MAX_SEGS];
  for (int i = 0; i < nseg; i++) {
    off = (off + 7) & ~7ULL;
    ps[i] = (struct gpkg_seg){segs[i].gpa, off, segs[i].filesz, segs[i].memsz};
    off += segs[i].filesz;
  }
  off = (off + 7) & ~7ULL;
  h.initrd_off = rd ? off : 0;
  h.initrd_len = rn;
  h.size = off + rn;

  FILE *f = fopen(out, "wb");
  if (!f) {
    fprintf(stderr, "guestpack: %s: %s\n", out, strerror(errno));
    return 1;
  }
  static const unsigned char zero[8];
  put(f, &h, sizeof h, out);
  put(f, ps, (size_t)nseg * sizeof ps[0], out);
  put(f, args, h.args_len, out);
  unsigned long long at = h.args_off + h.args_len;
  for (int i = 0; i < nseg; i++) {
    put(f, zero, ps[i].off - at, out);
    put(f, segs[i].data, segs[i].filesz, out);
    at = ps[i].off + segs[i].filesz;
  }
  // Pad to 8 bytes even without an initrd: h.size counts the padding,
  // and the hypervisor refuses a package shorter than its header says.
  put(f, zero, ((at + 7) & ~7ULL) - at, out);
  if (rd)
    put(f, rd, rn, out);
  if (fclose(f) != 0) {
    fprintf(stderr, "guestpack: %s: %s\n", out, strerror(errno));
    return 1;
  }
  printf("guestpack: %s: %s, %d segment(s), entry %#llx%s -> %s\n", image_name,
         nseg == 1 && entry == GPKG_RAW_LOAD && memcmp(img, ELFMAG, SELFMAG)
             ? "raw binary"
             : "ELF",
         nseg, entry, rd ? ", with initrd" : "", out);
  free(img);
  free(rd);
  return 0;
}
