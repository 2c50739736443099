// The grader's stage 5 guest as a guest package (include/hvlab/guestpkg.h),
// written for one run.
//
// From stage 5 on a guest comes in as `make run GUEST=` brings it: a
// package QEMU loads with -initrd, which the hypervisor copies into guest
// RAM behind its G-stage table. So QEMU's loader cannot put the run's
// nonce into the guest's memory (a host address is not a guest one, and
// the hypervisor owns that RAM); the package carries it instead, as a
// segment of its own at GUEST_PARAMS. The guest's ELF is the grader's own
// build (grader/guests/), read with libelf like guestpack reads any image.

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "grade.h"
#include "hvlab/guestpkg.h"
#include "hvlab/layout.h"

#define PARAMS_SIZE (GUEST_NPARAMS * 8)

static pthread_mutex_t elf_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 3, 4))) static int say(char *err, size_t n,
                                                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -1;
}

static int put(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

struct pseg {
  uint64_t gpa, filesz, memsz;
  const unsigned char *data;
};

static int write_pkg(int fd, const char *name, uint64_t entry,
                     const struct pseg *s, int nseg) {
  struct gpkg_header h = {.magic = GPKG_MAGIC,
                          .version = GPKG_VERSION,
                          .nseg = (gpkg_u32)nseg,
                          .entry = entry};
  snprintf(h.name, sizeof h.name, "%s", name);
  uint64_t off = sizeof h + (uint64_t)nseg * sizeof(struct gpkg_seg);
  h.args_off = off;
  h.args_len = 1;  // no boot arguments: just the NUL
  off += h.args_len;
  struct gpkg_seg ps[GPKG_MAX_SEGS];
  for (int i = 0; i < nseg; i++) {
    off = (off + 7) & ~7ULL;
    ps[i] = (struct gpkg_seg){s[i].gpa, off, s[i].filesz, s[i].memsz};
    off += s[i].filesz;
  }
  h.size = (off + 7) & ~7ULL;
  static const unsigned char zero[8];
  if (put(fd, &h, sizeof h) < 0 ||
      put(fd, ps, (size_t)nseg * sizeof ps[0]) < 0 || put(fd, "", 1) < 0)
    return -1;
  uint64_t at = h.args_off + h.args_len;
  for (int i = 0; i < nseg; i++) {
    if (put(fd, zero, ps[i].off - at) < 0 ||
        put(fd, s[i].data, s[i].filesz) < 0)
      return -1;
    at = ps[i].off + s[i].filesz;
  }
  return put(fd, zero, h.size - at);
}

// Write a package to a new file of its own under $TMPDIR; its name into
// path. 0, or -1 with the reason in err.
static int write_tmp_pkg(const char *name, uint64_t entry,
                         const struct pseg *segs, int nseg, char *path,
                         size_t pn, char *err, size_t en) {
  const char *tmp = getenv("TMPDIR");
  if (snprintf(path, pn, "%s/hvgrade-guest-XXXXXX",
               tmp && *tmp ? tmp : "/tmp") >= (int)pn)
    return say(err, en, "TMPDIR is too long");
  // Close-on-exec: other tests' QEMUs are forked meanwhile (run.c).
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0)
    return say(err, en, "cannot write the guest package %s: %s", path,
               strerror(errno));
  int bad = write_pkg(fd, name, entry, segs, nseg) < 0;
  if (close(fd) < 0)
    bad = 1;
  if (bad) {
    say(err, en, "cannot write the guest package %s: %s", path,
        strerror(errno));
    unlink(path);
    return -1;
  }
  return 0;
}

int guest_package(const char *elf_path, const char *name,
                  const uint64_t params[GUEST_NPARAMS], char *path, size_t pn,
                  char *err, size_t en) {
  char why[128];
  int efd = open_regular(elf_path, 0, why, sizeof why);
  if (efd < 0)
    return say(err, en, "the grader's guest %s: %s", elf_path, why);
  pthread_mutex_lock(&elf_mu);
  int r = -1;
  Elf *e = NULL;
  size_t n = 0;
  char *img = NULL;
  if (elf_version(EV_CURRENT) == EV_NONE ||
      !(e = elf_begin(efd, ELF_C_READ, NULL)) || !(img = elf_rawfile(e, &n))) {
    say(err, en, "the grader's guest %s: %s", elf_path, elf_errmsg(-1));
    goto out;
  }
  GElf_Ehdr eh;
  size_t phnum;
  if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &phnum) < 0) {
    say(err, en, "the grader's guest %s: no program headers", elf_path);
    goto out;
  }
  struct pseg segs[GPKG_MAX_SEGS];
  int nseg = 0;
  for (size_t i = 0; i < phnum; i++) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
        ph.p_memsz == 0)
      continue;
    if (nseg == GPKG_MAX_SEGS - 1 || ph.p_offset > n ||
        ph.p_filesz > n - ph.p_offset || ph.p_filesz > ph.p_memsz ||
        (ph.p_paddr < GUEST_PARAMS + PARAMS_SIZE &&
         GUEST_PARAMS < ph.p_paddr + ph.p_memsz)) {
      say(err, en, "the grader's guest %s: a bad segment %zu", elf_path, i);
      goto out;
    }
    segs[nseg++] = (struct pseg){ph.p_paddr, ph.p_filesz, ph.p_memsz,
                                 (unsigned char *)img + ph.p_offset};
  }
  unsigned char pbytes[PARAMS_SIZE];
  for (int i = 0; i < PARAMS_SIZE; i++)  // little-endian, as the guest reads
    pbytes[i] = (unsigned char)(params[i / 8] >> (8 * (i % 8)));
  segs[nseg++] = (struct pseg){GUEST_PARAMS, PARAMS_SIZE, PARAMS_SIZE, pbytes};

  r = write_tmp_pkg(name, eh.e_entry, segs, nseg, path, pn, err, en);
out:
  if (e)
    elf_end(e);
  pthread_mutex_unlock(&elf_mu);
  close(efd);
  return r;
}

int guest_package_raw(const char *image_path, const char *name, char *path,
                      size_t pn, char *err, size_t en) {
  char why[128];
  int ifd = open_regular(image_path, 0, why, sizeof why);
  if (ifd < 0)
    return say(err, en, "%s: %s", image_path, why);
  FILE *f = fdopen(ifd, "rb");
  size_t n = 0;
  char *img = f ? read_stream(f, &n) : NULL;
  if (f)
    fclose(f);
  else
    close(ifd);
  if (!img || n == 0) {
    free(img);
    return say(err, en, "%s: cannot read it, or it is empty", image_path);
  }
  struct pseg seg = {GPKG_RAW_LOAD, n, n, (unsigned char *)img};
  int r = write_tmp_pkg(name, GPKG_RAW_LOAD, &seg, 1, path, pn, err, en);
  free(img);
  return r;
}
