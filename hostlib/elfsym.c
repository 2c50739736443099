// ELF symbols with libelf: see elfsym.h.
//
// Opening copies what we need (symbols, sorted by address, and the
// loadable segments) out of libelf, so lookups are plain array searches
// and the file stays open only for elfsym_read.

#include "elfsym.h"

#include "file.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
  char *name;
  uint64_t addr, size;
  int func;      // 2: STT_FUNC, 1: an untyped label in code, 0: neither
  int global;    // STB_GLOBAL or STB_WEAK
  uint64_t end;  // code: where its section ends
};

struct seg {
  uint64_t vaddr, filesz, memsz, offset;
};

struct elfsym {
  int fd;
  struct sym *syms;  // every named symbol, by address
  size_t nsyms;
  struct seg *segs;  // PT_LOAD segments
  size_t nsegs;
};

static int by_addr(const void *a, const void *b) {
  const struct sym *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return y->func - x->func;  // at one address, a function before a label
}

// If section shndx is executable code, where it ends; else 0.
static uint64_t code_end(Elf *elf, size_t shndx) {
  Elf_Scn *s = shndx < SHN_LORESERVE ? elf_getscn(elf, shndx) : NULL;
  GElf_Shdr sh;
  if (s && gelf_getshdr(s, &sh) && (sh.sh_flags & SHF_EXECINSTR))
    return sh.sh_addr + sh.sh_size;
  return 0;
}

// Copy the symbols of symbol table scn. Returns NULL, or why it cannot.
// The count comes from the data libelf read (which lies inside the file),
// never from the header's own sh_size: a header may claim anything.
static const char *read_syms(struct elfsym *e, Elf *elf, Elf_Scn *scn,
                             GElf_Shdr *sh) {
  size_t esz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  if (esz == 0 || sh->sh_entsize != esz)
    return "bad symbol table (entry size)";
  Elf_Data *data = elf_getdata(scn, NULL);
  if (!data || data->d_size != sh->sh_size)
    return "bad symbol table (it does not lie inside the file)";
  size_t n = data->d_size / esz;
  e->syms = calloc(n ? n : 1, sizeof *e->syms);
  if (!e->syms)
    return "out of memory";
  for (size_t i = 0; i < n; i++) {
    GElf_Sym s;
    if (!gelf_getsym(data, (int)i, &s))
      continue;
    const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
    int type = GELF_ST_TYPE(s.st_info);
    // Skip what is not a place in the program: section and file symbols,
    // undefined ones, and the assembler's mapping symbols ($x, $d).
    if (!name || !*name || name[0] == '$' || s.st_shndx == SHN_UNDEF ||
        type == STT_SECTION || type == STT_FILE)
      continue;
    struct sym *y = &e->syms[e->nsyms];
    y->name = strdup(name);
    if (!y->name)
      return "out of memory";
    y->addr = s.st_value;
    y->size = s.st_size;
    y->end = code_end(elf, s.st_shndx);
    if (type == STT_FUNC)
      y->func = 2;
    else if (type == STT_NOTYPE && y->end)
      y->func = 1;  // an assembly label such as hs_trapvec
    y->global = GELF_ST_BIND(s.st_info) != STB_LOCAL;
    e->nsyms++;
  }
  qsort(e->syms, e->nsyms, sizeof *e->syms, by_addr);
  return NULL;
}

static int read_segs(struct elfsym *e, Elf *elf) {
  size_t n;
  if (elf_getphdrnum(elf, &n) != 0)
    return 0;  // no program headers: an object file, no image to read
  e->segs = calloc(n ? n : 1, sizeof *e->segs);
  if (!e->segs)
    return -1;
  for (size_t i = 0; i < n; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
      e->segs[e->nsegs++] =
          (struct seg){ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset};
  }
  return 0;
}

struct elfsym *elfsym_open(const char *path, char *err, size_t errlen) {
  struct elfsym *e = calloc(1, sizeof *e);
  Elf *elf = NULL;
  const char *why = NULL;
  char ferr[128];
  if (!e) {
    snprintf(err, errlen, "%s: out of memory", path);
    return NULL;
  }
  e->fd = -1;
  if (elf_version(EV_CURRENT) == EV_NONE) {
    why = "libelf is out of date";
    goto fail;
  }
  if ((e->fd = open_regular(path, 0, ferr, sizeof ferr)) < 0) {
    why = ferr;
    goto fail;
  }
  elf = elf_begin(e->fd, ELF_C_READ, NULL);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    why = "not an ELF file";
    goto fail;
  }
  // The full symbol table if there is one, else the dynamic one.
  Elf_Scn *scn = NULL, *dyn = NULL, *tab = NULL;
  GElf_Shdr sh, tsh;
  while ((scn = elf_nextscn(elf, scn)) != NULL)
    if (gelf_getshdr(scn, &sh)) {
      if (sh.sh_type == SHT_SYMTAB && !tab)
        tab = scn, tsh = sh;
      if (sh.sh_type == SHT_DYNSYM && !dyn)
        dyn = scn;
    }
  if (!tab && dyn)
    gelf_getshdr(tab = dyn, &tsh);
  if (!tab) {
    why = "no symbol table (stripped?)";
    goto fail;
  }
  if ((why = read_syms(e, elf, tab, &tsh)) != NULL)
    goto fail;
  if (read_segs(e, elf) < 0) {
    why = "out of memory";
    goto fail;
  }
  elf_end(elf);
  return e;
fail:
  snprintf(err, errlen, "%s: %s", path, why);
  if (elf)
    elf_end(elf);
  elfsym_close(e);
  return NULL;
}

void elfsym_close(struct elfsym *e) {
  if (!e)
    return;
  if (e->fd >= 0)
    close(e->fd);
  for (size_t i = 0; i < e->nsyms; i++)
    free(e->syms[i].name);
  free(e->syms);
  free(e->segs);
  free(e);
}

int elfsym_lookup(const struct elfsym *e, const char *name, uint64_t *addr,
                  uint64_t *size) {
  const struct sym *best = NULL;
  for (size_t i = 0; i < e->nsyms; i++)
    if (strcmp(e->syms[i].name, name) == 0 &&
        (!best || (!best->global && e->syms[i].global)))
      best = &e->syms[i];
  if (!best)
    return -1;
  *addr = best->addr;
  if (size)
    *size = best->size;
  return 0;
}

const char *elfsym_func_at(const struct elfsym *e, uint64_t addr,
                           uint64_t *offset) {
  // The last code symbol at or below addr. The array is sorted by address
  // with functions first at equal addresses, so the first one at the
  // highest such address wins.
  const struct sym *best = NULL;
  size_t bi = 0;
  for (size_t i = 0; i < e->nsyms && e->syms[i].addr <= addr; i++)
    if (e->syms[i].func && (!best || e->syms[i].addr > best->addr))
      best = &e->syms[i], bi = i;
  if (!best)
    return NULL;
  uint64_t end = best->addr + best->size;
  if (best->size == 0) {
    // No size (a label, or a function without .size): it runs to the next
    // code symbol, or to the end of its section.
    end = best->end;
    for (size_t j = bi + 1; j < e->nsyms; j++)
      if (e->syms[j].func && e->syms[j].addr > best->addr) {
        if (e->syms[j].addr < end)
          end = e->syms[j].addr;
        break;
      }
  }
  if (addr >= end)
    return NULL;
  if (offset)
    *offset = addr - best->addr;
  return best->name;
}

int elfsym_read(const struct elfsym *e, uint64_t addr, void *buf, size_t n) {
  unsigned char *b = buf;
  while (n > 0) {
    const struct seg *s = NULL;
    for (size_t i = 0; i < e->nsegs; i++)
      if (addr >= e->segs[i].vaddr &&
          addr - e->segs[i].vaddr < e->segs[i].memsz)
        s = &e->segs[i];
    if (!s)
      return -1;
    uint64_t off = addr - s->vaddr;
    size_t k = s->memsz - off < n ? (size_t)(s->memsz - off) : n;
    if (off >= s->filesz)  // bss
      memset(b, 0, k);
    else {
      if (s->filesz - off < k)
        k = (size_t)(s->filesz - off);
      if (pread(e->fd, b, k, (off_t)(s->offset + off)) != (ssize_t)k)
        return -1;
    }
    addr += k;
    b += k;
    n -= k;
  }
  return 0;
}
