// Stage 4: handing out host memory for guests -- their RAM and the G-stage
// tables that map it.
//
// The memory is what the device tree says the machine has (/memory), minus
// what is already taken:
//
//   0x80000000  OpenSBI (guarded by PMP: HS cannot touch it)
//   0x80200000  this image, up to __image_end
//   __image_end ........ free: ours to hand out ........
//   boot_dtb    the device tree QEMU wrote (near the top of RAM)
//
// A hypervisor that creates its guests once and never destroys them needs
// nothing more than a bump allocator: each allocation takes the next
// suitably aligned piece of the free range. Nothing is ever freed.

#include "palloc.h"
#include "defs.h"
#include "hvlab/pte.h"
#include "memlayout.h"

static u64 next, end;  // the free range [next, end)

static u64 be64(const char *p) {
  const u8 *b = (const u8 *)p;
  u64 v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | b[i];
  return v;
}

void palloc_init(void) {
  extern char __image_end[];
  int len;
  // reg = <base size>, each two 32-bit cells (#address-cells = 2 on virt).
  const char *reg = dtb_prop(boot_dtb, "/memory", "reg", &len);
  if (reg == NULL || len < 16)
    panic("palloc: the device tree has no /memory reg");
  u64 base = be64(reg), size = be64(reg + 8);
  next = (u64)__image_end;
  end = base + size;
  u64 dtb = (u64)boot_dtb;
  if (dtb > next && dtb < end)
    end = dtb & ~(PAGE_SIZE - 1);  // keep the device tree
  if (next < base || next >= end)
    panic("palloc: the image (end %lx) is not inside RAM [%lx, %lx)", next,
          base, base + size);
}

// size bytes aligned to align (a power of two, at least a page), zeroed.
void *palloc(u64 size, u64 align) {
  if (align < PAGE_SIZE)
    align = PAGE_SIZE;
  u64 p = (next + align - 1) & ~(align - 1);
  size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
  if (p < next || p > end || size > end - p)
    return NULL;
  next = p + size;
  // Zero it: a guest must not find what the last user left there, and a
  // page table must start with every entry invalid.
  for (u64 *w = (u64 *)p; w < (u64 *)(p + size); w++)
    *w = 0;
  return (void *)p;
}

u64 palloc_free_bytes(void) { return end - next; }

void palloc_report(void) {
  printf("hv: page allocator: %lu KiB free at [%lx, %lx)\n", (end - next) >> 10,
         next, end);
}
