// Address -> source mapping with elfutils' libdw: see srcmap.h.

#include "srcmap.h"

#include "file.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct srcmap {
  int fd;
  Dwarf *dw;
};

struct srcmap *srcmap_open(const char *path, char *err, size_t errlen) {
  char ferr[128];
  int fd = open_regular(path, 0, ferr, sizeof ferr);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path, ferr);
    return NULL;
  }
  Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
  if (dw == NULL) {
    snprintf(err, errlen, "%s: no DWARF debug info (%s)", path,
             dwarf_errmsg(-1));
    close(fd);
    return NULL;
  }
  struct srcmap *m = malloc(sizeof *m);
  if (!m) {
    dwarf_end(dw);
    close(fd);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  m->fd = fd;
  m->dw = dw;
  return m;
}

void srcmap_close(struct srcmap *m) {
  if (!m)
    return;
  dwarf_end(m->dw);
  close(m->fd);
  free(m);
}

// A function DIE's name. An inlined copy has none of its own: it points
// with DW_AT_abstract_origin (or DW_AT_specification) at the DIE that does,
// and under link-time optimisation that one may point further again.
static const char *die_name(Dwarf_Die *die) {
  Dwarf_Die cur = *die, next;
  for (int hops = 0; hops < 8; hops++) {
    const char *n = dwarf_diename(&cur);
    if (n)
      return n;
    Dwarf_Attribute a;
    if (!dwarf_attr(&cur, DW_AT_abstract_origin, &a) &&
        !dwarf_attr(&cur, DW_AT_specification, &a))
      return NULL;
    if (!dwarf_formref_die(&a, &next))
      return NULL;
    cur = next;
  }
  return NULL;
}

// Walk down the DIE tree from `die` through the functions, inlined copies
// and blocks that contain addr; return the name of the innermost function.
// (libdw's dwarf_getscopes finds nothing in the LTO build's debug info, so
// we walk with dwarf_haspc, which understands DW_AT_ranges.)
static const char *innermost(Dwarf_Die *die, uint64_t addr, const char *found) {
  Dwarf_Die c;
  if (dwarf_child(die, &c) != 0)
    return found;
  do {
    int tag = dwarf_tag(&c);
    if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine &&
        tag != DW_TAG_lexical_block)
      continue;
    if (dwarf_haspc(&c, addr) <= 0)
      continue;
    if (tag != DW_TAG_lexical_block) {
      const char *n = die_name(&c);
      if (n)
        found = n;
    }
    return innermost(&c, addr, found);
  } while (dwarf_siblingof(&c, &c) == 0);
  return found;
}

int srcmap_lookup(struct srcmap *m, uint64_t addr, const char **func,
                  const char **file, int *line) {
  Dwarf_Die cu;
  if (func)
    *func = NULL;
  if (file)
    *file = NULL;
  if (line)
    *line = 0;
  if (dwarf_addrdie(m->dw, addr, &cu) == NULL)
    return -1;

  Dwarf_Line *l = dwarf_getsrc_die(&cu, addr);
  if (l) {
    if (file)
      *file = dwarf_linesrc(l, NULL, NULL);
    if (line)
      dwarf_lineno(l, line);
  }

  if (func)
    *func = innermost(&cu, addr, NULL);
  return 0;
}
