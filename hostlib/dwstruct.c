// Struct layouts from DWARF with elfutils' libdw: see dwstruct.h.

#include "dwstruct.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dwstruct {
  int fd;
  Dwarf *dw;
  Dwarf_Die die;  // the DW_TAG_structure_type
  uint64_t size;
};

// Through typedefs and qualifiers to the type itself.
static int peel(Dwarf_Die *t) {
  for (int hops = 0; hops < 16; hops++) {
    int tag = dwarf_tag(t);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
        tag != DW_TAG_volatile_type)
      return 0;
    Dwarf_Attribute a;
    if (!dwarf_attr(t, DW_AT_type, &a) || !dwarf_formref_die(&a, t))
      return -1;
  }
  return -1;
}

// A complete `struct name` among the top-level DIEs of any compile unit.
static int find_struct(Dwarf *dw, const char *name, Dwarf_Die *out) {
  Dwarf_Off off = 0, next;
  size_t hsize;
  while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
    Dwarf_Die cu, c;
    if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &c) == 0) {
      do {
        const char *n;
        if (dwarf_tag(&c) == DW_TAG_structure_type &&
            !dwarf_hasattr(&c, DW_AT_declaration) && (n = dwarf_diename(&c)) &&
            strcmp(n, name) == 0) {
          *out = c;
          return 0;
        }
      } while (dwarf_siblingof(&c, &c) == 0);
    }
    off = next;
  }
  return -1;
}

struct dwstruct *dwstruct_open(const char *path, const char *name, char *err,
                               size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open", path);
    return NULL;
  }
  Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
  if (!dw) {
    snprintf(err, errlen, "%s: no DWARF debug info (%s)", path,
             dwarf_errmsg(-1));
    close(fd);
    return NULL;
  }
  struct dwstruct *s = calloc(1, sizeof *s);
  Dwarf_Word size = 0;
  if (!s || find_struct(dw, name, &s->die) < 0 ||
      dwarf_aggregate_size(&s->die, &size) != 0) {
    snprintf(err, errlen, "%s: no 'struct %s' in its debug info", path, name);
    free(s);
    dwarf_end(dw);
    close(fd);
    return NULL;
  }
  s->fd = fd;
  s->dw = dw;
  s->size = size;
  return s;
}

void dwstruct_close(struct dwstruct *s) {
  if (!s)
    return;
  dwarf_end(s->dw);
  close(s->fd);
  free(s);
}

uint64_t dwstruct_size(const struct dwstruct *s) { return s->size; }

// The member called name (len bytes) directly in struct DIE st.
static int member(Dwarf_Die *st, const char *name, size_t len, Dwarf_Die *out) {
  Dwarf_Die c;
  if (dwarf_child(st, &c) != 0)
    return -1;
  do {
    const char *n = dwarf_diename(&c);
    if (dwarf_tag(&c) == DW_TAG_member && n && strlen(n) == len &&
        memcmp(n, name, len) == 0) {
      *out = c;
      return 0;
    }
  } while (dwarf_siblingof(&c, &c) == 0);
  return -1;
}

int dwstruct_member(const struct dwstruct *s, const char *path, uint64_t *off,
                    uint64_t *size) {
  Dwarf_Die st = s->die, m;
  uint64_t at = 0;
  for (const char *p = path; *p;) {
    size_t len = strcspn(p, ".");
    Dwarf_Attribute a;
    Dwarf_Word loc = 0;
    if (member(&st, p, len, &m) < 0)
      return -1;
    // DWARF 4+: a plain constant. (Location expressions are for C++
    // virtual bases; a C struct never has them.)
    if (dwarf_attr(&m, DW_AT_data_member_location, &a) &&
        dwarf_formudata(&a, &loc) != 0)
      return -1;
    at += loc;
    if (!dwarf_attr(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &st) ||
        peel(&st) < 0)
      return -1;
    p += len;
    if (*p == '.')
      p++;
  }
  Dwarf_Word sz = 0;
  if (dwarf_aggregate_size(&st, &sz) != 0) {
    // Base and pointer types have DW_AT_byte_size.
    Dwarf_Attribute a;
    if (!dwarf_attr(&st, DW_AT_byte_size, &a) || dwarf_formudata(&a, &sz) != 0)
      return -1;
  }
  *off = at;
  if (size)
    *size = sz;
  return 0;
}
