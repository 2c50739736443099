// Stage 5: the guest's device tree -- dtc compiled guest.dts at build
// time; here we copy the tree for the guest's hart count and fill in what
// only this run knows, in place: properties keep their size (their values
// were reserved at build time), and what the guest must not see becomes
// FDT_NOP tokens, which every reader skips (devicetree spec 5.4.1).

#include "defs.h"
#include "loader.h"
#include "vhart.h"

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

int guest_has_disk;  // set by main.c: keep the virtio slot

static u32 be32(const u8 *p) {
  return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}
static void put32(u8 *p, u32 v) {
  p[0] = (u8)(v >> 24), p[1] = (u8)(v >> 16), p[2] = (u8)(v >> 8), p[3] = (u8)v;
}
static void put64(u8 *p, u64 v) {
  put32(p, (u32)(v >> 32));
  put32(p + 4, (u32)v);
}

// A property's value in our copy, to be written in place, if its size is
// `len` (or at least `len` when min is set).
static u8 *prop(u8 *dtb, const char *path, const char *name, int len, int min) {
  int n;
  u8 *p = (u8 *)dtb_prop(dtb, path, name, &n);
  if (p == NULL || (min ? n < len : n != len))
    return NULL;
  return p;
}

// Turn a property into FDT_NOP tokens: its token, length, name offset and
// value (padded to 4 bytes).
static int nop_prop(u8 *dtb, const char *path, const char *name) {
  int n;
  u8 *p = (u8 *)dtb_prop(dtb, path, name, &n);
  if (p == NULL)
    return -1;
  for (u8 *w = p - 12; w < p + ((n + 3) & ~3); w += 4)
    put32(w, FDT_NOP);
  return 0;
}

// Turn a whole node (path from the root, "/soc/serial@10000000") into
// FDT_NOP tokens.
static int nop_node(u8 *dtb, const char *path) {
  u32 off = be32(dtb + 8), end = off + be32(dtb + 36);
  char cur[128] = "";
  size_t curlen = 0;
  int depth = 0, found_depth = -1;
  u32 start = 0;
  while (off + 4 <= end) {
    u32 tok = be32(dtb + off), at = off;
    off += 4;
    if (tok == FDT_BEGIN_NODE) {
      const char *name = (const char *)dtb + off;
      size_t n = strlen(name);
      off += (u32)((n + 4) & ~3UL);
      if (depth > 0 && curlen + n + 2 < sizeof cur) {
        cur[curlen++] = '/';
        memcpy(cur + curlen, name, n + 1);
        curlen += n;
      }
      depth++;
      if (found_depth < 0 && strcmp(cur, path) == 0)
        found_depth = depth, start = at;
    } else if (tok == FDT_END_NODE) {
      if (found_depth == depth) {
        for (u32 w = start; w < off; w += 4)
          put32(dtb + w, FDT_NOP);
        return 0;
      }
      depth--;
      while (curlen > 0 && cur[curlen - 1] != '/')
        curlen--;
      if (curlen > 0)
        curlen--;
      cur[curlen] = 0;
    } else if (tok == FDT_PROP) {
      off += 8 + ((be32(dtb + off) + 3) & ~3U);
    } else if (tok == FDT_END) {
      break;
    }
  }
  return -1;
}

// The guest's ISA: the host's, without H (the guest cannot nest) and,
// when the guest is not to have it, without Sstc.
static void guest_isa(char *out, size_t n) {
  const char *isa = dtb_cpu_isa(boot_dtb);
  size_t j = 0, i = 0;
  if (isa == NULL)
    isa = "rv64imac";
  for (; isa[i] && isa[i] != '_' && j + 1 < n; i++)  // rv64 and the letters
    if (i < 4 || isa[i] != 'h')
      out[j++] = isa[i];
  while (isa[i] == '_') {  // multi-letter extensions, each after a '_'
    size_t k = i + 1;
    while (isa[k] && isa[k] != '_')
      k++;
    int drop =
        !guest_sstc && k - i - 1 == 4 && memcmp(isa + i + 1, "sstc", 4) == 0;
    for (; i < k; i++)
      if (!drop && j + 1 < n)
        out[j++] = isa[i];
  }
  out[j] = 0;
}

// Stage 4's loader calls this (gpkg_write_dtb) to give the guest its tree.
static u64 write_dtb5(struct vm *vm, u64 ram_gpa, u64 ram_size,
                      const char *args, u64 initrd, u64 initrd_len) {
  extern const u64 guest5_dtbs[];  // guest_dtb.S
  static u8 dtb[16384];
  const u8 *src = (const u8 *)guest5_dtbs[nharts - 1];
  u32 size = be32(src + 4);
  if (size > sizeof dtb || size > guest5_dtbs[nharts] - guest5_dtbs[nharts - 1])
    return 0;
  memcpy(dtb, src, size);

  u8 *p;
  char isa[128], path[32];
  guest_isa(isa, sizeof isa);
  size_t alen = strlen(args);
  if ((p = prop(dtb, "/chosen", "bootargs", 1024, 0)) == NULL || alen >= 1024)
    return 0;
  memcpy(p, args, alen + 1);
  if ((p = prop(dtb, "/memory@80000000", "reg", 16, 0)) == NULL)
    return 0;
  put64(p, ram_gpa);
  put64(p + 8, ram_size);
  const u8 *tb =
      (const u8 *)dtb_prop(boot_dtb, "/cpus", "timebase-frequency", NULL);
  if (tb && (p = prop(dtb, "/cpus", "timebase-frequency", 4, 0)))
    memcpy(p, tb, 4);
  for (int i = 0; i < nharts; i++) {
    snprintf(path, sizeof path, "/cpus/cpu@%d", i);
    if ((p = prop(dtb, path, "riscv,isa", 128, 0)) == NULL)
      return 0;
    memcpy(p, isa, strlen(isa) + 1);
  }
  if (initrd_len) {
    u8 *s = prop(dtb, "/chosen", "linux,initrd-start", 8, 0);
    u8 *e = prop(dtb, "/chosen", "linux,initrd-end", 8, 0);
    if (!s || !e)
      return 0;
    put64(s, initrd);
    put64(e, initrd + initrd_len);
  } else if (nop_prop(dtb, "/chosen", "linux,initrd-start") < 0 ||
             nop_prop(dtb, "/chosen", "linux,initrd-end") < 0) {
    return 0;
  }
  if (!guest_has_disk && nop_node(dtb, "/soc/virtio_mmio@10001000") < 0)
    return 0;

  u64 gpa = ram_gpa + ram_size - GPKG_DTB_SPACE;
  if (vm_write(vm, gpa, dtb, size) < 0)
    return 0;
  printf("hv: device tree for %d hart%s, riscv,isa \"%s\"%s\n", nharts,
         nharts > 1 ? "s" : "", isa, guest_has_disk ? ", a virtio disk" : "");
  return gpa;
}

void dtpatch_init(void) { gpkg_write_dtb = write_dtb5; }
