// Stage 4: a guest's physical address space, as a list of regions backed
// by host memory (palloc.c) and mapped by the G-stage table (gstage.c).

#include "vm.h"
#include "defs.h"
#include "palloc.h"

struct vm *vm_current;

int vm_init(struct vm *vm, const char *name, u64 vmid) {
  memset(vm, 0, sizeof *vm);
  vm->name = name;
  return gstage_init(&vm->g, vmid);
}

static struct region *add(struct vm *vm, const char *name,
                          enum region_kind kind, u64 gpa, u64 size) {
  if (vm->nregions == VM_MAX_REGIONS || size == 0 ||
      (gpa | size) & (PAGE_SIZE - 1) || gpa + size < gpa ||
      (gpa + size - 1) >> SV39X4_GPA_BITS) {
    printf("hv: region '%s' %lx+%lx: bad range or too many regions\n", name,
           gpa, size);
    return NULL;
  }
  for (int i = 0; i < vm->nregions; i++) {
    const struct region *r = &vm->regions[i];
    if (gpa < r->gpa + r->size && r->gpa < gpa + size) {
      printf("hv: region '%s' overlaps '%s'\n", name, r->name);
      return NULL;
    }
  }
  struct region *r = &vm->regions[vm->nregions++];
  *r = (struct region){.name = name, .kind = kind, .gpa = gpa, .size = size};
  return r;
}

struct region *vm_add_ram(struct vm *vm, const char *name, u64 gpa, u64 size,
                          int demand) {
  struct region *r = add(vm, name, REGION_RAM, gpa, size);
  if (r == NULL || demand)
    return r;
  // In 2 MiB pieces, 2 MiB aligned: the G-stage maps each with one leaf,
  // and the pieces need not be next to each other in host memory.
  // The tables first, so that the pieces lie next to each other.
  u64 first = 0;
  if (gstage_prepare(&vm->g, gpa, size) < 0) {
    vm->nregions--;
    return NULL;
  }
  for (u64 off = 0; off < size; off += MEGAPAGE_SIZE) {
    u64 n = size - off < MEGAPAGE_SIZE ? size - off : MEGAPAGE_SIZE;
    void *host = palloc(n, MEGAPAGE_SIZE);
    if (host == NULL || gstage_map(&vm->g, gpa + off, (u64)host, n,
                                   PTE_R | PTE_W | PTE_X) < 0) {
      printf("hv: cannot back %lu KiB of guest RAM ('%s'): %lu KiB free\n",
             size >> 10, name, palloc_free_bytes() >> 10);
      vm->nregions--;
      return NULL;
    }
    if (off == 0)
      first = (u64)host;
  }
  r->hpa = first;  // (where it starts; gstage_translate knows the rest)
  return r;
}

struct region *vm_add_rom(struct vm *vm, const char *name, u64 gpa, u64 size,
                          const void *data, u64 n) {
  struct region *r = add(vm, name, REGION_ROM, gpa, size);
  if (r == NULL)
    return NULL;
  void *host = palloc(size, PAGE_SIZE);
  if (host == NULL || n > size ||
      gstage_map(&vm->g, gpa, (u64)host, size, PTE_R | PTE_X) < 0) {
    vm->nregions--;
    return NULL;
  }
  memcpy(host, data, n);
  r->hpa = (u64)host;
  return r;
}

struct region *mmio_register(struct vm *vm, const char *name, u64 gpa, u64 size,
                             mmio_handler_t fn, void *dev) {
  struct region *r = add(vm, name, REGION_MMIO, gpa, size);
  if (r) {
    r->mmio = fn;
    r->dev = dev;
  }
  return r;
}

const struct region *vm_region_of(const struct vm *vm, u64 gpa) {
  for (int i = 0; i < vm->nregions; i++)
    if (gpa - vm->regions[i].gpa < vm->regions[i].size)
      return &vm->regions[i];
  return NULL;
}

// The host address of gpa for the hypervisor's own copying: a RAM page
// that is not mapped yet (on demand) is mapped now.
static u64 host_of(struct vm *vm, u64 gpa) {
  u64 hpa = gstage_translate(&vm->g, gpa, PTE_R);
  if (hpa)
    return hpa;
  const struct region *r = vm_region_of(vm, gpa);
  if (r == NULL || r->kind != REGION_RAM || r->hpa)
    return 0;
  void *page = palloc(PAGE_SIZE, PAGE_SIZE);
  u64 base = gpa & ~(PAGE_SIZE - 1);
  if (page == NULL ||
      gstage_map(&vm->g, base, (u64)page, PAGE_SIZE, PTE_R | PTE_W | PTE_X) < 0)
    return 0;
  gstage_flush(&vm->g, base);
  return (u64)page + (gpa - base);
}

int vm_write(struct vm *vm, u64 gpa, const void *src, u64 n) {
  const u8 *s = src;
  while (n) {
    u64 hpa = host_of(vm, gpa);
    u64 chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
    if (chunk > n)
      chunk = n;
    if (hpa == 0)
      return -1;
    memcpy((void *)hpa, s, chunk);
    gpa += chunk, s += chunk, n -= chunk;
  }
  return 0;
}

int vm_read(struct vm *vm, u64 gpa, void *dst, u64 n) {
  u8 *d = dst;
  while (n) {
    u64 hpa = gstage_translate(&vm->g, gpa, PTE_R);
    u64 chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
    if (chunk > n)
      chunk = n;
    if (hpa == 0)
      return -1;
    memcpy(d, (void *)hpa, chunk);
    gpa += chunk, d += chunk, n -= chunk;
  }
  return 0;
}

static const char *kind_name(enum region_kind k) {
  return k == REGION_RAM ? "RAM" : k == REGION_ROM ? "ROM" : "MMIO";
}

void vm_print_regions(const struct vm *vm) {
  printf("hv: guest '%s' physical memory:\n", vm->name);
  for (int i = 0; i < vm->nregions; i++) {
    const struct region *r = &vm->regions[i];
    printf("hv:   %010lx-%010lx  %-4s %-8s", r->gpa, r->gpa + r->size - 1,
           kind_name(r->kind), r->name);
    if (r->kind == REGION_MMIO)
      printf(" (unmapped: faults go to its handler)\n");
    else if (r->hpa)
      printf(" host %010lx\n", r->hpa);
    else
      printf(" (mapped page by page on first touch)\n");
  }
}
