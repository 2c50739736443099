// The register table from a gdbstub's target description: see rsp.h.
//
// The description is XML: target.xml pulls in feature files with
// <xi:include href="..."/>, and each feature lists <reg name= bitsize=
// regnum=/>. A register's number is its regnum if given, else one more
// than the register before it, counting across files in document order.
// QEMU 7.2 numbers only its CSRs explicitly (66 + the CSR number), so the
// order of the includes matters and we follow it exactly.
//
// This is not a general XML parser: it finds tags, skips comments and
// reads attribute values, which is all a target description needs.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp.h"
#include "rvdecode.h"

// Copy attribute attr of the tag text [s, e) into out. Returns 0, or -1.
static int attr(const char *s, const char *e, const char *name, char *out,
                size_t max) {
  size_t nl = strlen(name);
  for (const char *p = s + 1; p + nl + 2 < e; p++) {
    // the name must start after a blank and be followed by ="..." or '...'
    if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n' && p[-1] != '\r') ||
        strncmp(p, name, nl) != 0 || p[nl] != '=')
      continue;
    char q = p[nl + 1];
    if (q != '"' && q != '\'')
      continue;
    const char *v = p + nl + 2, *ve = memchr(v, q, (size_t)(e - v));
    if (!ve || (size_t)(ve - v) >= max)
      return -1;
    memcpy(out, v, (size_t)(ve - v));
    out[ve - v] = 0;
    return 0;
  }
  return -1;
}

static int add(struct rsp_regs *t, const char *name, int num, int bits) {
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 64;
    struct rsp_reg *v = realloc(t->v, (size_t)cap * sizeof *v);
    if (!v)
      return -1;
    t->v = v;
    t->cap = cap;
  }
  struct rsp_reg *r = &t->v[t->n++];
  snprintf(r->name, sizeof r->name, "%s", name);
  r->num = num;
  r->bitsize = bits;
  return 0;
}

int rsp_regs_parse(struct rsp_regs *t, const char *xml,
                   int (*include)(void *arg, const char *href), void *arg) {
  for (const char *p = strchr(xml, '<'); p; p = strchr(p, '<')) {
    if (strncmp(p, "<!--", 4) == 0) {
      const char *e = strstr(p + 4, "-->");
      if (!e)
        return 0;
      p = e + 3;
      continue;
    }
    const char *e = strchr(p, '>');
    if (!e)
      return 0;  // a cut-off tag: nothing more to find
    char v[64];
    if (strncmp(p, "<reg", 4) == 0 && p[4] && strchr(" \t\r\n", p[4])) {
      char name[32], bits[16], num[16];
      if (attr(p, e, "name", name, sizeof name) == 0 &&
          attr(p, e, "bitsize", bits, sizeof bits) == 0) {
        if (attr(p, e, "regnum", num, sizeof num) == 0)
          t->next = atoi(num);
        if (add(t, name, t->next++, atoi(bits)) < 0)
          return -1;
      }
    } else if (strncmp(p, "<xi:include", 11) == 0 &&
               attr(p, e, "href", v, sizeof v) == 0 && include) {
      int r = include(arg, v);
      if (r)
        return r;
    }
    p = e + 1;
  }
  return 0;
}

static int find_exact(const struct rsp_regs *t, const char *name) {
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->v[i].name, name) == 0)
      return t->v[i].num;
  return -1;
}

int rsp_regs_find(const struct rsp_regs *t, const char *name) {
  int r = find_exact(t, name);
  if (r >= 0)
    return r;
  // Not under that name: try the other names of the same register. gdb's
  // XML says "fp" for x8 and ABI names elsewhere; users say x8 or s0.
  for (int i = 0; i < 32; i++) {
    char xn[8], fn[8];
    snprintf(xn, sizeof xn, "x%d", i);
    snprintf(fn, sizeof fn, "f%d", i);
    const char *x = rv_xreg_name(i);
    if (!strcmp(name, xn) || !strcmp(name, x) ||
        (i == 8 && !strcmp(name, "fp"))) {
      if ((r = find_exact(t, xn)) >= 0 || (r = find_exact(t, x)) >= 0)
        return r;
      return i == 8 ? find_exact(t, "fp") : -1;
    }
    if (!strcmp(name, fn) || !strcmp(name, rv_freg_name(i))) {
      if ((r = find_exact(t, fn)) >= 0)
        return r;
      return find_exact(t, rv_freg_name(i));
    }
  }
  return -1;
}

const struct rsp_reg *rsp_regs_get(const struct rsp_regs *t, int num) {
  for (int i = 0; i < t->n; i++)
    if (t->v[i].num == num)
      return &t->v[i];
  return NULL;
}

void rsp_regs_free(struct rsp_regs *t) {
  free(t->v);
  t->v = NULL;
  t->n = t->cap = t->next = 0;
}
