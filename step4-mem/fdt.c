// Stage 4: writing a device tree for a guest (devicetree.org specification
// v0.4, chapter 5 -- the format runtime/riscv/dtb.c reads). A kernel finds
// its RAM, its CPU and its boot arguments there, so the tree lists exactly
// what the guest has: one hart, its RAM, and /chosen. No device: stage 4
// emulates none (a kernel that probed a UART listed here would fault).

#include "fdt.h"
#include "defs.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_END 9

static void put32(u8 *p, u32 v) {
  p[0] = (u8)(v >> 24), p[1] = (u8)(v >> 16), p[2] = (u8)(v >> 8), p[3] = (u8)v;
}

void fdt_begin(struct fdt *f) { memset(f, 0, sizeof *f); }

static void word(struct fdt *f, u32 v) {
  if (f->slen + 4 > sizeof f->st) {
    f->err = 1;
    return;
  }
  put32(f->st + f->slen, v);
  f->slen += 4;
}

static void bytes(struct fdt *f, const void *p, u32 n) {
  if (f->slen + ((n + 3) & ~3U) > sizeof f->st) {
    f->err = 1;
    return;
  }
  memcpy(f->st + f->slen, p, n);
  memset(f->st + f->slen + n, 0, ((n + 3) & ~3U) - n);
  f->slen += (n + 3) & ~3U;
}

// The offset of name in the strings block, adding it if it is new.
static u32 name_off(struct fdt *f, const char *name) {
  u32 n = (u32)strlen(name) + 1;
  for (u32 o = 0; o < f->strs_len; o += (u32)strlen(f->strs + o) + 1)
    if (strcmp(f->strs + o, name) == 0)
      return o;
  if (f->strs_len + n > sizeof f->strs) {
    f->err = 1;
    return 0;
  }
  memcpy(f->strs + f->strs_len, name, n);
  f->strs_len += n;
  return f->strs_len - n;
}

void fdt_node(struct fdt *f, const char *name) {
  word(f, FDT_BEGIN_NODE);
  bytes(f, name, (u32)strlen(name) + 1);
}

void fdt_end_node(struct fdt *f) { word(f, FDT_END_NODE); }

void fdt_prop(struct fdt *f, const char *name, const void *val, u32 len) {
  word(f, FDT_PROP);
  word(f, len);
  word(f, name_off(f, name));
  bytes(f, val, len);
}

void fdt_prop_str(struct fdt *f, const char *name, const char *s) {
  fdt_prop(f, name, s, (u32)strlen(s) + 1);
}

void fdt_prop_u32(struct fdt *f, const char *name, u32 v) {
  u8 b[4];
  put32(b, v);
  fdt_prop(f, name, b, 4);
}

// Cells: 64-bit values as two 32-bit cells each (#address-cells = 2).
void fdt_prop_u64s(struct fdt *f, const char *name, const u64 *v, int n) {
  u8 b[32];
  if (n > 4) {
    f->err = 1;
    return;
  }
  for (int i = 0; i < n; i++) {
    put32(b + 8 * i, (u32)(v[i] >> 32));
    put32(b + 8 * i + 4, (u32)v[i]);
  }
  fdt_prop(f, name, b, (u32)(8 * n));
}

u32 fdt_finish(struct fdt *f, u8 *out, u32 cap) {
  word(f, FDT_END);
  u32 hdr = 40, rsv = 16;  // header, then an empty reservation map
  u32 total = hdr + rsv + f->slen + f->strs_len;
  if (f->err || total > cap)
    return 0;
  memset(out, 0, hdr + rsv);
  put32(out + 0, FDT_MAGIC);
  put32(out + 4, total);
  put32(out + 8, hdr + rsv);             // off_dt_struct
  put32(out + 12, hdr + rsv + f->slen);  // off_dt_strings
  put32(out + 16, hdr);                  // off_mem_rsvmap
  put32(out + 20, 17);                   // version
  put32(out + 24, 16);                   // last_comp_version
  put32(out + 28, 0);                    // boot_cpuid_phys
  put32(out + 32, f->strs_len);          // size_dt_strings
  put32(out + 36, f->slen);              // size_dt_struct
  memcpy(out + hdr + rsv, f->st, f->slen);
  memcpy(out + hdr + rsv + f->slen, f->strs, f->strs_len);
  return total;
}
