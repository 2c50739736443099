// What the monitor knows about the image it watches, from its DWARF:
// where struct vcpu's members are, and which stage it is.
//
// Both come from the debug info the build writes, never from the
// hypervisor's headers (a student's files: see dwstruct.h) or from the
// image's file name (a copied or renamed ELF would lie).

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstruct.h"
#include "monitor.h"
#include "srcmap.h"

int vcpu_layout_read(struct vcpu_layout *l, const char *path) {
  static const struct {
    const char *member;
    size_t view_off, size;
  } want[] = {
      {"x", offsetof(struct vcpu_view, x), sizeof(uint64_t[32])},
      {"pc", offsetof(struct vcpu_view, pc), 8},
      {"vs.vsatp", offsetof(struct vcpu_view, vsatp), 8},
      {"ctl.hgatp", offsetof(struct vcpu_view, hgatp), 8},
      {"exit.cause", offsetof(struct vcpu_view, exit.cause), 8},
      {"exit.pc", offsetof(struct vcpu_view, exit.pc), 8},
      {"exit.tval", offsetof(struct vcpu_view, exit.tval), 8},
      {"exit.htval", offsetof(struct vcpu_view, exit.htval), 8},
  };
  memset(l, 0, sizeof *l);
  struct dwstruct *s = dwstruct_open(path, "vcpu", l->why, sizeof l->why);
  if (!s)
    return -1;
  l->size = dwstruct_size(s);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    uint64_t off, size;
    if (dwstruct_member(s, want[i].member, &off, &size) < 0 ||
        size != want[i].size || off + size > l->size) {
      snprintf(l->why, sizeof l->why,
               "struct vcpu has no %zu-byte member '%s' in the debug info",
               want[i].size, want[i].member);
      dwstruct_close(s);
      return -1;
    }
    l->field[l->nfield].off = off;
    l->field[l->nfield].view_off = want[i].view_off;
    l->field[l->nfield].size = want[i].size;
    l->nfield++;
  }
  dwstruct_close(s);
  l->ok = 1;
  return 0;
}

void vcpu_layout_apply(const struct vcpu_layout *l, const unsigned char *raw,
                       struct vcpu_view *v) {
  memset(v, 0, sizeof *v);
  for (int i = 0; i < l->nfield; i++)
    memcpy((char *)v + l->field[i].view_off, raw + l->field[i].off,
           l->field[i].size);
}

int stage_of_image(const char *path, uint64_t stage_main) {
  char err[160];
  const char *file = NULL;
  struct srcmap *m = stage_main ? srcmap_open(path, err, sizeof err) : NULL;
  int stage = 0;
  if (m && srcmap_lookup(m, stage_main, NULL, &file, NULL) == 0 && file) {
    // The last "stepN-" directory in the path of the file.
    for (const char *p = strstr(file, "step"); p; p = strstr(p + 4, "step"))
      if (p[4] >= '1' && p[4] <= '9' && p[5] == '-' &&
          (p == file || p[-1] == '/'))
        stage = p[4] - '0';
  }
  srcmap_close(m);
  return stage;
}

const char *stage_str(const struct target *t) {
  static char buf[8];
  if (!t->stage)
    return "?";
  snprintf(buf, sizeof buf, "%d", t->stage);
  return buf;
}
