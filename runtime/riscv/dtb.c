// Reading the device tree blob (DTB) that OpenSBI hands over in a1.
//
// A DTB ("flattened device tree", devicetree.org specification v0.4, ch. 5)
// is a header, then a stream of 32-bit big-endian tokens describing nodes
// and their properties, then a table of property-name strings. We only need
// to look up a property by node path, so we walk the token stream once per
// lookup and keep no copy. The blob comes from QEMU, but we still check
// every offset against its size: a bad blob must give an error, not a trap.

#include "defs.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1  // followed by the node's name, NUL-padded to 4
#define FDT_END_NODE 2
#define FDT_PROP 3  // followed by len, nameoff, then len bytes of value
#define FDT_NOP 4
#define FDT_END 9

// The header: ten big-endian 32-bit fields, read by their byte offsets
// (the spec's struct fdt_header). Nothing here assumes the blob is
// aligned: every value is assembled from single bytes.
#define FDT_HEADER_SIZE 40
#define FDT_MAGIC_OFF 0
#define FDT_TOTALSIZE_OFF 4
#define FDT_STRUCT_OFF 8         // off_dt_struct
#define FDT_STRINGS_OFF 12       // off_dt_strings
#define FDT_SIZE_STRINGS_OFF 32  // size_dt_strings
#define FDT_SIZE_STRUCT_OFF 36   // size_dt_struct

static u32 be32(const void *p) {
  const u8 *b = p;
  return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

// Header field at byte offset off.
static u32 hdr(const void *dtb, u32 off) { return be32((const u8 *)dtb + off); }

#define FDT_MAX_SIZE (2u << 20)  // QEMU's are about 8 KiB; refuse silly sizes

// 0 if dtb looks like a device tree whose parts lie inside it, -1 if not.
int dtb_check(const void *dtb) {
  if (dtb == NULL || hdr(dtb, FDT_MAGIC_OFF) != FDT_MAGIC)
    return -1;
  u64 size = hdr(dtb, FDT_TOTALSIZE_OFF);
  u64 st = hdr(dtb, FDT_STRUCT_OFF), st_len = hdr(dtb, FDT_SIZE_STRUCT_OFF);
  u64 str = hdr(dtb, FDT_STRINGS_OFF), str_len = hdr(dtb, FDT_SIZE_STRINGS_OFF);
  if (size < FDT_HEADER_SIZE || size > FDT_MAX_SIZE || st + st_len > size ||
      str + str_len > size)
    return -1;
  return 0;
}

// Is there a NUL in p[0..n)? Names and string values must end inside the
// blob, or comparing them would read past it.
static int has_nul(const char *p, u64 n) {
  for (u64 i = 0; i < n; i++)
    if (p[i] == 0)
      return 1;
  return 0;
}

// Does node name `name` match path component `comp`? "cpu@0" matches
// "cpu@0" exactly; "chosen" also matches "chosen@anything".
static int name_eq(const char *comp, size_t clen, const char *name) {
  if (strncmp(comp, name, clen) != 0)
    return 0;
  return name[clen] == 0 || name[clen] == '@';
}

// Find property `name` of the node at absolute `path` ("/cpus/cpu@0").
// Returns a pointer to its value and sets *len, or NULL if absent.
const char *dtb_prop(const void *dtb, const char *path, const char *name,
                     int *len) {
  if (dtb_check(dtb) < 0)
    return NULL;
  const u8 *base = dtb;
  u32 off = hdr(dtb, FDT_STRUCT_OFF);
  u32 size = off + hdr(dtb, FDT_SIZE_STRUCT_OFF);  // the token stream ends here
  const char *strings = (const char *)base + hdr(dtb, FDT_STRINGS_OFF);
  u32 strings_size = hdr(dtb, FDT_SIZE_STRINGS_OFF);

  // Split the path into components on the fly: comp[i] starts at start[i].
  const char *start[8];
  size_t clen[8];
  int ncomp = 0;
  for (const char *p = path; *p;) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    if (ncomp == ARRAY_SIZE(start))
      return NULL;
    start[ncomp] = p;
    while (*p && *p != '/')
      p++;
    clen[ncomp] = (size_t)(p - start[ncomp]);
    ncomp++;
  }

  int level = -1;   // -1 outside the root node; the root is level 0
  int matched = 0;  // how many path components the current chain matches
  while (off + 4 <= size) {
    u32 tok = be32(base + off);
    off += 4;
    if (tok == FDT_BEGIN_NODE) {
      const char *nname = (const char *)base + off;
      size_t n = 0;
      while (off + n < size && nname[n])
        n++;
      if (off + n >= size)
        return NULL;                 // the name does not end inside the blob
      off += (u32)((n + 4) & ~3UL);  // name plus NUL, padded to 4
      level++;
      if (level >= 1 && matched == level - 1 && level - 1 < ncomp &&
          name_eq(start[level - 1], clen[level - 1], nname))
        matched = level;
    } else if (tok == FDT_END_NODE) {
      if (matched == level && level > 0)
        matched--;
      level--;
    } else if (tok == FDT_PROP) {
      if (off + 8 > size)
        return NULL;
      u32 plen = be32(base + off), nameoff = be32(base + off + 4);
      off += 8;
      if (plen > size - off || nameoff >= strings_size ||
          !has_nul(strings + nameoff, strings_size - nameoff))
        return NULL;
      if (level == ncomp && matched == ncomp &&
          strcmp(strings + nameoff, name) == 0) {
        if (len)
          *len = (int)plen;
        return (const char *)base + off;
      }
      off += (plen + 3) & ~3U;
    } else if (tok == FDT_NOP) {
      continue;
    } else {  // FDT_END or garbage
      break;
    }
  }
  return NULL;
}

// A property that is a string: NULL unless it ends with a NUL inside its
// own length, so callers can treat it as a C string.
static const char *dtb_prop_str(const void *dtb, const char *path,
                                const char *name) {
  int len;
  const char *v = dtb_prop(dtb, path, name, &len);
  return v && len > 0 && v[len - 1] == 0 ? v : NULL;
}

// The ISA string of hart 0, e.g. "rv64imafdch_zicsr_zifencei_..._sstc".
const char *dtb_cpu_isa(const void *dtb) {
  return dtb_prop_str(dtb, "/cpus/cpu@0", "riscv,isa");
}

// The kernel command line: QEMU copies -append "..." here.
const char *dtb_bootargs(const void *dtb) {
  return dtb_prop_str(dtb, "/chosen", "bootargs");
}

// Does an ISA string name extension `ext`? Single letters ("h") are looked
// up in the first part after "rv64"; longer names ("sstc") are matched
// against the '_'-separated list that follows.
int isa_has_ext(const char *isa, const char *ext) {
  if (isa == NULL || strncmp(isa, "rv", 2) != 0)
    return 0;
  const char *p = isa + 2;
  while (*p >= '0' && *p <= '9')
    p++;
  size_t elen = strlen(ext);
  if (elen == 1) {
    for (; *p && *p != '_'; p++)
      if (*p == ext[0])
        return 1;
    return 0;
  }
  while (*p) {
    while (*p == '_')
      p++;
    const char *w = p;
    while (*p && *p != '_')
      p++;
    if ((size_t)(p - w) == elen && strncmp(w, ext, elen) == 0)
      return 1;
  }
  return 0;
}
