// Stage 4: handing out host memory for guests -- their RAM and the G-stage
// tables that map it.
//
// The memory is what the device tree says the machine has (/memory), minus
// what is already taken:
//
//   0x80000000  OpenSBI (guarded by PMP: HS cannot touch it)
//   0x80200000  this image, up to __image_end
//   __image_end ........ free: ours to hand out ........
//   (a guest package that QEMU loaded with -initrd, if any: stage 4)
//   boot_dtb    the device tree QEMU wrote (near the top of RAM)
//
// A hypervisor that creates its guests once and never destroys them needs
// nothing more than a bump allocator: each allocation takes the next
// suitably aligned piece of the free range. Nothing is ever freed.

#include "palloc.h"
#include "defs.h"
#include "hvlab/pte.h"
#include "memlayout.h"

// The free ranges, lowest first: [next, end) each.
#define MAX_RANGES 4
static struct range { u64 next, end; } ranges[MAX_RANGES];
static int nranges;

static u64 be(const char *p, int len) {
  const u8 *b = (const u8 *)p;
  u64 v = 0;
  for (int i = 0; i < len; i++)
    v = v << 8 | b[i];
  return v;
}

// Take [lo, hi) out of the free ranges (a range may split in two).
static void reserve(u64 lo, u64 hi) {
  for (int i = 0; i < nranges; i++) {
    struct range *r = &ranges[i];
    if (hi <= r->next || lo >= r->end)
      continue;
    if (lo > r->next && hi < r->end && nranges < MAX_RANGES) {
      for (int j = nranges++; j > i + 1; j--)
        ranges[j] = ranges[j - 1];
      ranges[i + 1] = (struct range){hi, r->end};
      r->end = lo;
      return;
    }
    if (lo <= r->next)
      r->next = hi < r->end ? hi : r->end;
    else
      r->end = lo;
  }
}

void palloc_init(void) {
  extern char __image_end[];
  int len;
  // reg = <base size>, each two 32-bit cells (#address-cells = 2 on virt).
  const char *reg = dtb_prop(boot_dtb, "/memory", "reg", &len);
  if (reg == NULL || len < 16)
    panic("palloc: the device tree has no /memory reg");
  u64 base = be(reg, 8), size = be(reg + 8, 8);
  u64 next = (u64)__image_end;
  if (next < base || next >= base + size)
    panic("palloc: the image (end %lx) is not inside RAM [%lx, %lx)", next,
          base, base + size);
  ranges[0] = (struct range){next, base + size};
  nranges = 1;
  // Keep the device tree, and what QEMU loaded with -initrd (stage 4's
  // guest package): /chosen says where, in cells of 4 or 8 bytes.
  u64 dtb = (u64)boot_dtb;
  reserve(dtb & ~(PAGE_SIZE - 1), base + size);
  const char *s = dtb_prop(boot_dtb, "/chosen", "linux,initrd-start", &len);
  int elen;
  const char *e = dtb_prop(boot_dtb, "/chosen", "linux,initrd-end", &elen);
  if (s && e && (len == 4 || len == 8) && (elen == 4 || elen == 8))
    reserve(be(s, len) & ~(PAGE_SIZE - 1),
            (be(e, elen) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
}

// size bytes aligned to align (a power of two, at least a page), zeroed,
// from the first free range where they fit.
void *palloc(u64 size, u64 align) {
  if (align < PAGE_SIZE)
    align = PAGE_SIZE;
  size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  for (int i = 0; i < nranges; i++) {
    struct range *r = &ranges[i];
    u64 p = (r->next + align - 1) & ~(align - 1);
    if (p < r->next || p > r->end || size > r->end - p)
      continue;
    r->next = p + size;
    // Zero it: a guest must not find what the last user left there, and a
    // page table must start with every entry invalid.
    for (u64 *w = (u64 *)p; w < (u64 *)(p + size); w++)
      *w = 0;
    return (void *)p;
  }
  return NULL;
}

u64 palloc_free_bytes(void) {
  u64 n = 0;
  for (int i = 0; i < nranges; i++)
    n += ranges[i].end - ranges[i].next;
  return n;
}

void palloc_report(void) {
  printf("hv: page allocator: %lu KiB free in", palloc_free_bytes() >> 10);
  for (int i = 0; i < nranges; i++)
    printf(" [%lx, %lx)", ranges[i].next, ranges[i].end);
  printf("\n");
}
