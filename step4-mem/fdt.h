// Stage 4: writing a device tree (fdt.c).
#pragma once

#include "types.h"

struct fdt {
  u8 st[4096];     // the structure block being written
  char strs[512];  // the strings block
  u32 slen, strs_len;
  int err;  // something did not fit
};

void fdt_begin(struct fdt *f);
void fdt_node(struct fdt *f, const char *name);
void fdt_end_node(struct fdt *f);
void fdt_prop(struct fdt *f, const char *name, const void *val, u32 len);
void fdt_prop_str(struct fdt *f, const char *name, const char *s);
void fdt_prop_u32(struct fdt *f, const char *name, u32 v);
void fdt_prop_u64s(struct fdt *f, const char *name, const u64 *v, int n);
// Write the blob into out; returns its size, or 0 if it does not fit.
u32 fdt_finish(struct fdt *f, u8 *out, u32 cap);
